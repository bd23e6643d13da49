import Foundation
import Testing

/// A pipelines folder published as a symlink swapped to each new revision (Kubernetes git-sync,
/// Capistrano-style releases), against real inotify: the daemon follows the swap by itself,
/// long before its 5-minute rescan, and applies the new revision as one change set.
@Suite("Pipelines folder swapped by a symlink")
struct ManifestSwapTests {
    /// Writes manifests into a release; `folder` is where the pipelines folder is within it, and
    /// `up` the way back from there to the workspace.
    private func release(
        _ workspace: Workspace,
        _ revision: String,
        _ manifests: [String: String],
        folder: String,
        up: String
    ) throws {
        for (name, tag) in manifests {
            try workspace.write(
                "releases/\(revision)\(folder)/\(name).yaml",
                """
                apiVersion: orchestrator/v1
                kind: Pipeline
                metadata: {name: \(name)}
                spec:
                  watch: {path: \(up)/data/\(name), settle: 0s}
                  run:
                    command: [sh, -c, 'echo "\(tag) $0" >> ../out/seen', "${file.name}"]
                    workingDir: \(up)/pipelines

                """
            )
        }
    }

    /// Points `current` at `revision` the way git-sync does: a new link renamed over the old one.
    private func publish(_ workspace: Workspace, _ revision: String) throws {
        let staging = workspace.path("current.new")
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createSymbolicLink(atPath: staging, withDestinationPath: "releases/\(revision)")
        #expect(rename(staging, workspace.path("current")) == 0)
    }

    private func lines(_ log: String, _ message: String, _ pipeline: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("\"\(message)") && $0.contains("\"pipeline\":\"\(pipeline)\"") }
            .count
    }

    /// The link is the pipelines folder itself (`--pipelines current`), or one of its ancestors
    /// (`--pipelines current/pipelines`, git-sync's layout for a repository with more than manifests).
    @Test(arguments: [("", ".."), ("/pipelines", "../..")])
    func aSwappedLinkIsFollowedAndAppliedAsOneChangeSet(folder: String, up: String) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        for folder in ["live", "gone", "added"] {
            try FileManager.default.createDirectory(
                atPath: workspace.path("data/\(folder)"),
                withIntermediateDirectories: true
            )
        }
        try release(workspace, "rev1", ["live": "v1", "gone": "v1"], folder: folder, up: up)
        try release(workspace, "rev2", ["live": "v2", "added": "v2"], folder: folder, up: up)
        try publish(workspace, "rev1")
        let daemon = try await DaemonProcess.start(
            workspace,
            arguments: ["--pipelines", "current" + folder, "--state", workspace.path("state.db")]
        )
        try workspace.write("data/live/a.csv", "a")
        try await waitUntil("a is processed by rev1") { workspace.lines("out/seen") == ["v1 a.csv"] }

        try publish(workspace, "rev2")
        try await waitUntil("rev2 is applied without SIGHUP or a rescan") {
            let log = daemon.log
            return lines(log, "pipeline updated", "live") == 1 && lines(log, "pipeline created", "added") == 1
                && lines(log, "pipeline deleted", "gone") == 1
        }
        #expect(lines(daemon.log, "pipeline deleted", "live") == 0, "a pipeline of both revisions is only updated")
        try workspace.write("data/live/b.csv", "b")
        try workspace.write("data/added/c.csv", "c")
        try await waitUntil("b and c are processed by rev2") {
            Set(workspace.lines("out/seen")) == ["v1 a.csv", "v2 b.csv", "v2 c.csv"]
        }

        // The new target itself is watched now: an edit inside it applies as any edit does.
        try release(workspace, "rev2", ["live": "v3"], folder: folder, up: up)
        try await waitUntil("an edit in the new revision is applied") {
            lines(daemon.log, "pipeline updated", "live") == 2
        }
        try workspace.write("data/live/d.csv", "d")
        try await waitUntil("d is processed by the edit") { workspace.lines("out/seen").last == "v3 d.csv" }
        #expect(try await daemon.stop() == 0)
    }
}
