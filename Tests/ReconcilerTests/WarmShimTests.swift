import Foundation
import Glibc
import Testing

@testable import Reconciler

/// The shim started ahead of its run, with the real `orchestrator-shim` and real processes: the
/// run it is handed gets its arguments, environment, folder and session, and its status file
/// says how it ended; a shim that dies while waiting, or whose owner goes away, runs nothing.
@Suite("A shim started ahead of its run", .serialized)
struct WarmShimTests {
    /// The shim built beside the test bundle.
    private static let shim = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("orchestrator-shim").path

    private let folder: String = {
        let path = FileManager.default.temporaryDirectory.path + "/warm-shim-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Hands `script` to a waiting shim and supervises it to its end.
    private func run(
        _ warm: WarmShim,
        _ script: String,
        workingDirectory: String? = nil,
        environment: [String] = ["PATH=/usr/bin:/bin"]
    ) -> (ending: ChildProcess.Ending, output: String, pid: Int32, status: String?) {
        let statusFile = folder + "/run.status"
        let child = ChildProcess(
            executable: "/bin/sh",
            arguments: ["/bin/sh", "-c", script].map { Array($0.utf8) },
            environment: environment.map { Array($0.utf8) },
            workingDirectory: workingDirectory,
            timeout: .seconds(30),
            grace: .seconds(5)
        )
        let spawn = warm.launch(
            statusFile: statusFile,
            workingDirectory: workingDirectory,
            arguments: child.arguments,
            environment: child.environment
        )
        guard case .started(let spawned) = spawn else {
            Issue.record("not started: \(spawn)")
            return (.failedToStart("not started"), "", 0, nil)
        }
        var output: [UInt8] = []
        let ending = child.supervise(spawned, cancellation: RunCancellation()) { output += $0 }
        let status = try? String(contentsOfFile: statusFile, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: statusFile)
        return (ending, String(decoding: output, as: UTF8.self), spawned.pid, status)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shim), "orchestrator-shim is not built"))
    func aRunHandedToAWaitingShimGetsItsArgumentsEnvironmentFolderAndSession() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let warm = WarmShim(path: WarmShimTests.shim)
        warm.prepare()
        let result = run(
            warm,
            "echo \"$GREETING\"; pwd; ps -o sid= -p $$; cat; exit 3",
            workingDirectory: folder,
            environment: ["PATH=/usr/bin:/bin", "GREETING=hello there"]
        )
        #expect(result.ending == .exited(3))
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines == ["hello there", folder, "\(result.pid)"], "stdin is /dev/null: cat reads nothing")
        #expect(result.status == "exit 3\n")
        // The next run gets a shim of its own.
        let next = run(warm, "kill -TERM $$")
        #expect(next.ending == .signaled(SIGTERM))
        #expect(next.status == "signal 15\n")
        #expect(next.pid != result.pid)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shim), "orchestrator-shim is not built"))
    func aFolderThatIsNotThereFailsTheRunWithItsReason() {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = run(WarmShim(path: WarmShimTests.shim), "echo ran", workingDirectory: folder + "/missing")
        #expect(result.ending == .exited(127))
        #expect(result.output.contains("cannot change to \(folder)/missing: No such file or directory"))
        #expect(!result.output.contains("ran"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shim), "orchestrator-shim is not built"))
    func aShimKilledWhileWaitingIsReplacedAndTheRunStillRuns() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let warm = WarmShim(path: WarmShimTests.shim)
        warm.prepare()
        let waiting = try #require(Self.children(named: "orchestrator-sh").first)
        kill(waiting, SIGKILL)
        // Dead (not yet reaped), so that the run cannot be handed to it before it dies.
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.state(of: waiting) != "Z", ContinuousClock.now < deadline { usleep(1000) }
        #expect(Self.state(of: waiting) == "Z")
        let result = run(warm, "echo ran")
        #expect(result.ending == .exited(0))
        #expect(result.output == "ran\n")
        #expect(result.pid != waiting)
    }

    /// The command is the waiting shim's child, forked before the run came: it dies with the
    /// shim, so that no run goes on with nobody to record its end.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shim), "orchestrator-shim is not built"))
    func aRunWhoseShimIsKilledIsKilledToo() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let warm = WarmShim(path: WarmShimTests.shim)
        warm.prepare()
        let child = ChildProcess(
            executable: "/bin/sleep",
            arguments: ["/bin/sleep", "30"].map { Array($0.utf8) },
            environment: [],
            workingDirectory: nil,
            timeout: .seconds(60),
            grace: .seconds(5)
        )
        let spawn = warm.launch(
            statusFile: folder + "/run.status",
            workingDirectory: nil,
            arguments: child.arguments,
            environment: child.environment
        )
        guard case .started(let spawned) = spawn else {
            Issue.record("not started: \(spawn)")
            return
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var command: pid_t?
        while command == nil, ContinuousClock.now < deadline {
            command = Self.children(of: spawned.pid, named: "sleep").first
            if command == nil { usleep(1000) }
        }
        let sleeper = try #require(command, "the command runs as the shim's child")
        kill(spawned.pid, SIGKILL)
        // Before the shim is reaped and its group killed: the command went with the shim itself.
        while kill(sleeper, 0) == 0, Self.state(of: sleeper) != "Z", ContinuousClock.now < deadline { usleep(1000) }
        #expect(kill(sleeper, 0) == -1 || Self.state(of: sleeper) == "Z", "the command died with its shim")
        #expect(child.supervise(spawned, cancellation: RunCancellation()) { _ in } == .signaled(9))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shim), "orchestrator-shim is not built"))
    func aWaitingShimWhoseOwnerGoesAwayRunsNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var warm: WarmShim? = WarmShim(path: WarmShimTests.shim)
        warm?.prepare()
        let waiting = try #require(Self.children(named: "orchestrator-sh").first)
        warm = nil
        // The owner reaped it: no such process any more, and no status file was written.
        #expect(kill(waiting, 0) == -1 && errno == ESRCH)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    /// A process's state letter (`R`, `S`, `Z`…), from /proc.
    private static func state(of pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
    }

    /// The children of `parent` (this process by default) whose command name (as /proc shows
    /// it, 15 bytes) is `name`.
    private static func children(of parent: pid_t = getpid(), named name: String) -> [pid_t] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return nil }
            let command = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return command == name && fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        } ?? []
    }
}
