import Foundation
import Glibc
import Testing

@Suite("Recovery after a killed orchestrator")
struct RecoveryTests {
    @Test func sigkillMidRunThenReconcileFinishesTheWorkAndLeavesNoOrphan() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "slow",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo $$$$ >> ../out/starts; [ -e ../out/fast ] || sleep 60; echo "$0" >> ../out/done', "${file.name}"]
                workingDir: ../pipelines
            """
        )
        try workspace.write("data/in/x.csv", "x\n")

        let orchestrator = Process()
        orchestrator.executableURL = CLI.productsDirectory.appendingPathComponent("orchestrator")
        orchestrator.arguments = ["reconcile"]
        orchestrator.currentDirectoryURL = workspace.root
        orchestrator.standardOutput = FileHandle.nullDevice
        try orchestrator.run()
        try await waitUntil("the command has started") { !workspace.lines("out/starts").isEmpty }
        kill(orchestrator.processIdentifier, SIGKILL)
        orchestrator.waitUntilExit()
        let orphan = try #require(Int32(workspace.lines("out/starts")[0]))
        #expect(isAlive(orphan), "the killed orchestrator's child is still running until recovery")

        try workspace.write("out/fast", "")
        let status = try await workspace.run(["status"])
        #expect(status.stdout.contains("1 running"))
        let result = try await workspace.run(["reconcile"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("Recovered 1 run"))
        #expect(!isAlive(orphan), "recovery kills what the dead orchestrator left running")
        #expect(workspace.lines("out/starts").count == 2)
        #expect(workspace.lines("out/done") == ["x.csv"])

        let ledger = try await workspace.run(["ledger", "slow"])
        #expect(ledger.stdout.hasPrefix("succeeded"))
        #expect(try await workspace.run(["reconcile"]).stdout.contains("No changes"))
        #expect(workspace.lines("out/starts").count == 2)
    }
}

/// Whether a process exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
