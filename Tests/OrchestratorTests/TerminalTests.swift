import Foundation
import TestSupport
import Testing

/// What people at a terminal see: versions, the way to a pipelines folder, progress of a backlog.
@Suite("orchestrator at a terminal")
struct TerminalTests {
    @Test func bothExecutablesPrintTheSameVersion() async throws {
        let orchestrator = try await CLI.run(["--version"])
        #expect(orchestrator.status == 0)
        let etl = Process()
        etl.executableURL = CLI.productsDirectory.appendingPathComponent("default-etl")
        etl.arguments = ["--version"]
        let out = Pipe()
        etl.standardOutput = out
        try etl.run()
        let version = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        etl.waitUntilExit()
        #expect(orchestrator.stdout == version && !version.isEmpty)
    }

    @Test func aMissingPipelinesFolderSaysWhatToDo() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try FileManager.default.removeItem(atPath: workspace.path("pipelines"))
        let plan = try await workspace.run(["plan"])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("pipelines: error: no such folder of pipeline manifests"))
        #expect(plan.stderr.contains("--pipelines DIR"))
        #expect(plan.stderr.contains("orchestrator convert CONFIG.conf... -o pipelines"))
    }

    @Test(.enabled(if: PseudoTerminal.isAvailable, "util-linux script is needed for a pseudo-terminal"))
    func reconcileShowsProgressOnATerminal() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "rec",
            "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"], concurrency: 1}\n"
        )
        for index in 0..<3 { try workspace.write("data/in/\(index).csv", "\(index)") }
        let (status, screen) = try PseudoTerminal.run(
            [CLI.productsDirectory.appendingPathComponent("orchestrator").path, "reconcile"],
            in: workspace.root.path
        )
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("reconcile: 1/3 contents, 0 failed, "), "\(screen)")
        #expect(screen.contains("\r\u{1B}[K✓ rec/"), "the line is erased before the report: \(screen)")
    }
}
