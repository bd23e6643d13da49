import CProcess
import Foundation
import Glibc
import Model

/// `orchestrator-shim --stdin`, started ahead of the run it will carry: a run then starts with a
/// write to the waiting shim's standard input, not with the start of a program (the shim) that
/// then starts the command. The waiting shim has forked already: its child reads the run and
/// executes the command itself, so that no fork stands between the write and the command's
/// start either (0.25 ms less from a file's close to its command's start). On this kind of
/// machine a program start is a fifth of a file's whole close-to-start latency; the next shim is
/// started when a run ends, by the thread that waited for it, off the path of any run's start
/// (runs that overlap start their own shim).
///
/// The shim is this process's child in a session of its own, exactly as a shim started for the
/// run would be: the run's process group, its pid, its output pipe and its status file are the
/// same. A waiting shim whose input ends (this process stopped or died) exits without running
/// anything.
final class WarmShim: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var waiting: Waiting?

    /// A shim waiting for its run.
    private struct Waiting {
        let pid: pid_t
        /// This end of the socket that is the shim's standard input.
        let input: Int32
        /// The read end of the shim's (and so the run's) stdout and stderr.
        let output: Int32
    }

    init(path: String) { self.path = path }

    deinit {
        if let waiting { dismiss(waiting) }
    }

    /// Hands a run to the waiting shim, or to one started now when none waits (or the one
    /// waiting is gone): the run's process is the shim's, with its output pipe.
    func launch(
        statusFile: String,
        workingDirectory: String?,
        arguments: [[UInt8]],
        environment: [[UInt8]]
    ) -> ChildProcess.Spawn {
        let message = WarmShim.message(
            statusFile: statusFile,
            workingDirectory: workingDirectory,
            arguments: arguments,
            environment: environment
        )
        var taken = lock.withLock { () -> Waiting? in
            defer { waiting = nil }
            return waiting
        }
        for _ in 0..<2 {
            let shim: Waiting
            if let taken {
                shim = taken
            } else {
                switch start() {
                case .started(let started): shim = started
                case .failed(let reason): return .notStarted(.failedToStart(reason))
                }
            }
            taken = nil
            // A shim that died while waiting (killed by someone) took its child along, but the
            // child may not be gone yet and could still take the run: one that is dead is not used.
            if isAlive(shim), send(message, to: shim.input) {
                return .started(ChildProcess.Spawned(pid: shim.pid, reader: shim.output, input: shim.input))
            }
            // The waiting shim is gone (killed by someone): take a new one.
            dismiss(shim)
        }
        return .notStarted(.failedToStart("cannot hand the run to \(path): \(String(cString: strerror(errno)))"))
    }

    /// Starts a shim to wait for the next run, unless one waits already.
    func prepare() {
        guard lock.withLock({ waiting == nil }), case .started(let started) = start() else { return }
        let extra = lock.withLock { () -> Waiting? in
            guard waiting == nil else { return started }
            waiting = started
            return nil
        }
        if let extra { dismiss(extra) }
    }

    private enum Start {
        case started(Waiting)
        case failed(String)
    }

    private func start() -> Start {
        var input: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &input) == 0 else {
            return .failed("socketpair: \(String(cString: strerror(errno)))")
        }
        var output: [Int32] = [-1, -1]
        guard cprocess_pipe(&output) == 0 else {
            let reason = "pipe: \(String(cString: strerror(errno)))"
            input.forEach { close($0) }
            return .failed(reason)
        }
        var pid: pid_t = 0
        let error = ChildProcess.withCStrings([path.fileSystemBytes, Array("--stdin".utf8)]) { argv in
            ChildProcess.withCStrings([]) { envp in cprocess_spawn(path, argv, envp, nil, input[1], output[1], &pid) }
        }
        close(input[1])
        close(output[1])
        guard error == 0 else {
            close(input[0])
            close(output[0])
            return .failed("cannot run \(path): \(String(cString: strerror(error)))")
        }
        return .started(Waiting(pid: pid, input: input[0], output: output[0]))
    }

    /// Ends a shim that will carry no run: its input ends, so it exits without running anything.
    private func dismiss(_ shim: Waiting) {
        close(shim.input)
        close(shim.output)
        var status: Int32 = 0
        while waitpid(shim.pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Whether the waiting shim has not ended (it is reaped if it has).
    private func isAlive(_ shim: Waiting) -> Bool {
        var status: Int32 = 0
        return waitpid(shim.pid, &status, WNOHANG) == 0
    }

    /// Writes all of `message`; false if the shim is gone. No SIGPIPE: it would end this process.
    private func send(_ message: [UInt8], to socket: Int32) -> Bool {
        message.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(socket, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return false }
                sent += count
            }
            return true
        }
    }

    /// A run as `orchestrator-shim --stdin` reads it (see the shim's `run_from_input`): three
    /// native-endian 32-bit numbers (the size of what follows, the count of arguments, the count
    /// of environment entries), then NUL-terminated strings: the status file, the working folder
    /// (empty for none), the arguments, the environment entries.
    static func message(
        statusFile: String,
        workingDirectory: String?,
        arguments: [[UInt8]],
        environment: [[UInt8]]
    ) -> [UInt8] {
        var payload: [UInt8] = []
        for string in [statusFile.fileSystemBytes, (workingDirectory ?? "").fileSystemBytes] + arguments + environment {
            payload += string
            payload.append(0)
        }
        var message: [UInt8] = []
        for number in [payload.count, arguments.count, environment.count] {
            withUnsafeBytes(of: UInt32(number)) { message += $0 }
        }
        return message + payload
    }
}
