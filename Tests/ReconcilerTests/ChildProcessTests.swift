import Foundation
import Glibc
import Testing

@testable import Reconciler

/// The supervision of one run, with real processes: what only the kernel can show (exit status,
/// signals, process groups, pipes held open by what a command leaves behind).
@Suite("A run supervised from one thread")
struct ChildProcessTests {
    /// Runs `script` under `/bin/sh -c`, collecting its output and its pid.
    private func run(
        _ script: String,
        timeout: Duration = .zero,
        grace: Duration = .seconds(5),
        workingDirectory: String? = nil,
        environment: [String] = ["PATH=/usr/bin:/bin"],
        cancellation: RunCancellation = RunCancellation()
    ) -> (ending: ChildProcess.Ending, output: String, pid: Int32) {
        let child = ChildProcess(
            executable: "/bin/sh",
            arguments: ["sh", "-c", script].map { Array($0.utf8) },
            environment: environment.map { Array($0.utf8) },
            workingDirectory: workingDirectory,
            timeout: timeout,
            grace: grace
        )
        var output: [UInt8] = []
        var pid: Int32 = 0
        let ending = child.run(cancellation: cancellation, started: { pid = $0 }, output: { output += $0 })
        return (ending, String(decoding: output, as: UTF8.self), pid)
    }

    @Test func outputExitStatusAndEnvironmentReachTheCaller() {
        let result = run("echo out; echo err >&2; echo \"$GREETING\"; exit 3", environment: ["GREETING=hello"])
        #expect(result.ending == .exited(3))
        #expect(result.output == "out\nerr\nhello\n")
    }

    @Test func aSignalIsReportedAsSuch() {
        #expect(run("kill -9 $$").ending == .signaled(SIGKILL))
    }

    @Test func theCommandRunsInItsWorkingFolderInASessionOfItsOwn() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/child-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = run("pwd; ps -o sid= -p $$", workingDirectory: folder)
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == folder)
        #expect(lines.last == "\(result.pid)", "the command leads its own session")
    }

    @Test func aProgramThatCannotStartIsAFailureToStartNotACrash() {
        let child = ChildProcess(
            executable: "/nonexistent/program",
            arguments: [Array("program".utf8)],
            environment: [],
            workingDirectory: nil,
            timeout: .zero,
            grace: .seconds(1)
        )
        let ending = child.run(cancellation: RunCancellation(), started: { _ in }, output: { _ in })
        guard case .failedToStart(let reason) = ending else {
            Issue.record("expected a failure to start, got \(ending)")
            return
        }
        #expect(reason.contains("No such file"))
    }

    @Test func aTimeoutSendsSigtermThenSigkillAfterTheGrace() {
        let clock = ContinuousClock()
        let began = clock.now
        let result = run("trap '' TERM; echo waiting; sleep 30", timeout: .milliseconds(200), grace: .milliseconds(300))
        #expect(result.ending == .timedOut)
        #expect(result.output == "waiting\n")
        #expect(clock.now - began < .seconds(20), "SIGKILL ended what ignored SIGTERM, long before `sleep 30`")
    }

    @Test func aCancellationStopsTheRunAtOnce() {
        let cancellation = RunCancellation()
        let canceller = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            cancellation.cancel(.leaseLost)
        }
        canceller.start()
        let clock = ContinuousClock()
        let began = clock.now
        let result = run("sleep 30", cancellation: cancellation)
        #expect(result.ending == .cancelled)
        #expect(cancellation.reason == .leaseLost)
        #expect(clock.now - began < .seconds(20))
    }

    @Test func aRunCancelledBeforeItStartsStartsNothing() {
        let cancellation = RunCancellation()
        cancellation.cancel()
        let result = run("echo should not run", cancellation: cancellation)
        #expect(result.ending == .cancelled)
        #expect(result.pid == 0)
    }

    @Test func whatTheCommandLeftInItsGroupIsKilledWhenItEnds() {
        // A background child that holds the output pipe and would outlive the command by 30 s.
        let result = run("sleep 30 & echo started")
        #expect(result.ending == .exited(0))
        #expect(result.output == "started\n")
        let deadline = ContinuousClock.now + .seconds(5)
        while kill(-result.pid, 0) == 0, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(kill(-result.pid, 0) != 0, "nothing is left in the run's process group")
    }

    @Test func aProcessThatLeftTheGroupHoldingTheOutputDoesNotHoldTheRun() throws {
        let clock = ContinuousClock()
        let began = clock.now
        // setsid: a daemon of the command's own, out of reach of the group kill, keeps the pipe.
        // The command ends once the daemon leads its own session.
        let result = run(
            "setsid sleep 30 & d=$!; until [ \"$(ps -o sid= -p $d | tr -d ' ')\" = $d ]; do :; done; echo $d"
        )
        let daemon = try #require(Int32(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(daemon, SIGKILL) }
        #expect(result.ending == .exited(0))
        #expect(kill(daemon, 0) == 0, "the daemon outlived the run, holding its output open")
        #expect(clock.now - began < .seconds(10), "output is read for a bounded time after the command ends")
    }
}
