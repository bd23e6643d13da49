import Foundation
import Glibc
import Testing

/// A manifest file that exists but cannot be read cleanly keeps the pipelines last applied from
/// it, in `plan`, `reconcile`, `status` and the daemon; only a removed file deletes them.
@Suite("Unreadable manifests keep their pipelines", .serialized)
struct BrokenManifestTests {
    static let keeper = """
        apiVersion: orchestrator/v1
        kind: Pipeline
        metadata: {name: keeper}
        spec:
          watch: {path: ../data/in, settle: 0s}
          run:
            command: [sh, -c, 'echo "$0" >> ../out/seen', "${file.name}"]
            workingDir: ../pipelines

        """

    /// Ways to break `pipelines/keeper.yaml`, each applied to a workspace where it was valid.
    enum Breakage: String, CaseIterable, CustomTestStringConvertible {
        case syntaxError, invalidUTF8, tabs, truncated, otherKind, otherAPIVersion, danglingSymlink, unreadable

        var testDescription: String { rawValue }

        /// The breakages this process can make: root reads a file whatever its permissions.
        static var possible: [Breakage] { geteuid() == 0 ? allCases.filter { $0 != .unreadable } : allCases }

        func apply(to workspace: Workspace) throws {
            let file = workspace.path("pipelines/keeper.yaml")
            switch self {
            case .syntaxError:
                try workspace.write("pipelines/keeper.yaml", BrokenManifestTests.keeper + "  bogus: [unclosed\n")
            case .invalidUTF8:
                try Data(BrokenManifestTests.keeper.utf8 + [0x23, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: file))
            case .tabs:
                try workspace.write(
                    "pipelines/keeper.yaml",
                    BrokenManifestTests.keeper.replacingOccurrences(of: "  watch", with: "\twatch")
                )
            case .truncated: try workspace.write("pipelines/keeper.yaml", String(BrokenManifestTests.keeper.prefix(40)))
            case .otherKind:
                try workspace.write(
                    "pipelines/keeper.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
                )
            case .otherAPIVersion:
                try workspace.write(
                    "pipelines/keeper.yaml",
                    BrokenManifestTests.keeper.replacingOccurrences(of: "orchestrator/v1", with: "orchestrator/v9")
                )
            case .danglingSymlink:
                try FileManager.default.removeItem(atPath: file)
                try FileManager.default.createSymbolicLink(
                    atPath: file,
                    withDestinationPath: "../releases/missing/keeper.yaml"
                )
            case .unreadable: chmod(file, 0)
            }
        }
    }

    private func appliedWorkspace() async throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write("pipelines/keeper.yaml", Self.keeper)
        try workspace.write("data/in/before.csv", "1")
        let first = try await workspace.run(["reconcile"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(workspace.lines("out/seen") == ["before.csv"])
        return workspace
    }

    @Test(arguments: Breakage.possible)
    func planReconcileAndStatusKeepThePipeline(_ breakage: Breakage) async throws {
        try await keepsThePipeline(breakage)
    }

    @Test(
        .disabled(
            if: geteuid() == 0,
            "root reads a file whatever its permissions; run the tests as another user to cover it"
        )
    )
    func aFileThisUserMayNotRead() async throws {
        try await keepsThePipeline(.unreadable)
    }

    private func keepsThePipeline(_ breakage: Breakage) async throws {
        let workspace = try await appliedWorkspace()
        defer { workspace.remove() }
        try breakage.apply(to: workspace)
        try workspace.write("data/in/after.csv", "2")

        let plan = try await workspace.run(["plan"])
        #expect(plan.status == 1, "a broken manifest is an error")
        #expect(plan.stdout.contains("! pipeline keeper ("), "\(plan.stdout)")
        #expect(plan.stdout.contains("keeper.yaml:"), "the errors are located: \(plan.stdout)")
        #expect(plan.stdout.contains("+ after.csv"), "its folder is still planned: \(plan.stdout)")
        #expect(!plan.stdout.contains("will be deleted"))

        let reconcile = try await workspace.run(["reconcile"])
        #expect(reconcile.stdout.contains("! pipeline keeper ("))
        #expect(workspace.lines("out/seen") == ["before.csv", "after.csv"], "processed with the last applied spec")

        let status = try await workspace.run(["status"])
        #expect(status.stdout.contains("! keeper ("), "\(status.stdout)")
        #expect(status.stdout.contains("Ready=False InvalidManifest, generation 1"))
        #expect(status.stdout.contains("2 succeeded"))
    }

    @Test func aRemovedFileDeletesThePipeline() async throws {
        let workspace = try await appliedWorkspace()
        defer { workspace.remove() }
        try FileManager.default.removeItem(atPath: workspace.path("pipelines/keeper.yaml"))
        try workspace.write(
            "pipelines/other.yaml",
            Self.keeper.replacingOccurrences(of: "name: keeper", with: "name: other")
                .replacingOccurrences(of: "data/in", with: "data/other")
        )
        let plan = try await workspace.run(["plan"])
        #expect(
            plan.stdout.contains("- pipeline keeper (") && plan.stdout.contains("will be deleted"),
            "\(plan.stdout)"
        )
        #expect(try await workspace.run(["reconcile"]).status == 0)
        #expect(try await workspace.run(["status"]).stdout.contains("keeper") == false)
    }

    @Test func aPipelineRenamedInAValidFileIsDeletedAndCreated() async throws {
        let workspace = try await appliedWorkspace()
        defer { workspace.remove() }
        try workspace.write(
            "pipelines/keeper.yaml",
            Self.keeper.replacingOccurrences(of: "name: keeper", with: "name: renamed")
        )
        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("- pipeline keeper ("), "\(plan.stdout)")
        #expect(plan.stdout.contains("+ pipeline renamed ("))
        #expect(plan.stdout.contains("Plan: 1 pipeline to create, 1 pipeline to delete"))
    }

    @Test func aPipelineMovedToAnotherFileWhileTheFirstIsBroken() async throws {
        let workspace = try await appliedWorkspace()
        defer { workspace.remove() }
        try workspace.write("pipelines/moved.yaml", Self.keeper)
        try workspace.write("pipelines/keeper.yaml", "spec: [unclosed\n")
        try workspace.write("data/in/after.csv", "2")
        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("~ pipeline keeper ("), "\(plan.stdout)")
        #expect(plan.stdout.contains("~ manifest:"))
        #expect(!plan.stdout.contains("will be deleted") && !plan.stdout.contains("will be created"))
        _ = try await workspace.run(["reconcile"])
        #expect(workspace.lines("out/seen") == ["before.csv", "after.csv"], "processed once, by one pipeline")
        try FileManager.default.removeItem(atPath: workspace.path("pipelines/keeper.yaml"))
        let after = try await workspace.run(["plan", "--detailed-exitcode"])
        #expect(after.status == 0, "the move was recorded: \(after.stdout)")
    }

    @Test func theDaemonKeepsProcessingWithTheLastAppliedSpec() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.write("pipelines/keeper.yaml", Self.keeper)
        // A second pipeline: removing the only manifest would be refused as a suspiciously empty folder.
        try workspace.write(
            "pipelines/other.yaml",
            Self.keeper.replacingOccurrences(of: "name: keeper", with: "name: other")
                .replacingOccurrences(of: "data/in", with: "data/other")
        )
        let daemon = try await DaemonProcess.start(workspace)
        for (index, breakage) in Breakage.possible.enumerated() {
            try breakage.apply(to: workspace)
            try await waitUntil("\(breakage) is reported") {
                daemon.log.components(separatedBy: "invalid manifest").count > index + 1
            }
            try workspace.write("data/in/\(breakage).csv", "\(index)")
            try await waitUntil("a file is processed while the manifest shows \(breakage)") {
                workspace.lines("out/seen").last == "\(breakage).csv"
            }
            #expect(!daemon.log.contains("pipeline deleted"), "\(breakage)")
            chmod(workspace.path("pipelines/keeper.yaml"), 0o644)
            try? FileManager.default.removeItem(atPath: workspace.path("pipelines/keeper.yaml"))
            try workspace.write("pipelines/keeper.yaml", Self.keeper)
        }
        try FileManager.default.removeItem(atPath: workspace.path("pipelines/keeper.yaml"))
        try await waitUntil("a removed manifest deletes the pipeline") { daemon.log.contains("pipeline deleted") }
        #expect(try await daemon.stop() == 0)
    }
}
