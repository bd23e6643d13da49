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

        let orchestrator = try workspace.launch(["reconcile"])
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

@Suite("Reconcile interrupted")
struct InterruptedReconcileTests {
    @Test func sigintStopsTheRunsGoingOnAndLeavesTheirContentsDue() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "slow",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo $$$$ >> ../out/starts; [ -e ../out/fast ] || exec sleep 60', "${file.name}"]
                workingDir: ../pipelines
                concurrency: 2
            """
        )
        for name in ["a", "b", "c"] { try workspace.write("data/in/\(name).csv", "\(name)\n") }

        let orchestrator = try workspace.launch(["reconcile"])
        try await waitUntil("two runs have started") { workspace.lines("out/starts").count == 2 }
        kill(orchestrator.processIdentifier, SIGINT)
        try await waitUntil("reconcile has stopped") { !orchestrator.isRunning }
        #expect(orchestrator.terminationStatus == 130)
        for pid in workspace.lines("out/starts").compactMap(Int32.init) {
            #expect(!isAlive(pid), "a run going on is stopped, not left behind")
        }
        #expect(workspace.lines("out/starts").count == 2, "no other run starts once interrupted")
        let ledger = try await workspace.run(["ledger", "slow"])
        #expect(!ledger.stdout.contains("running"), "\(ledger.stdout)")

        try workspace.write("out/fast", "")
        let again = try await workspace.run(["reconcile"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(!again.stderr.contains("Recovered"), "nothing was left for a recovery")
        #expect(again.stdout.contains("Reconciled: 3 succeeded"))
    }
}

/// Whether a process exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
