import CProcess
import Foundation
import Glibc
import Model

/// A command run to its end from one blocking thread: `posix_spawn` in a session of its own, its
/// output read from a pipe, its exit seen through a pidfd, all in one `poll` loop that also
/// watches the run's cancellation and its timeout.
///
/// Why not swift-subprocess: its async API hands each run between about a dozen threads (its
/// monitor, the I/O threads, the cooperative pool); measured on `reconcile` of 10,000 `true`, a
/// run supervised from the thread that also claims and commits it costs a third less time.
struct ChildProcess {
    /// How a supervised run ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
        case cancelled
        case failedToStart(String)
    }

    var executable: String
    /// The whole argv, `argv[0]` included, as the file system's bytes.
    var arguments: [[UInt8]]
    /// `KEY=value` entries, as bytes.
    var environment: [[UInt8]]
    var workingDirectory: String?
    /// Zero: no timeout.
    var timeout: Duration
    /// Between SIGTERM and SIGKILL to the process group, on timeout or cancellation.
    var grace: Duration
    /// Called once the timeout has passed and the group has had SIGTERM (a container is removed
    /// by name there: killing its client leaves it running).
    var onTimeout: () -> Void = {}

    /// How long output is still read after the command's group is gone: a process that left
    /// the group (a daemon it started) may hold the pipe open forever.
    static let drainAfterExit = Duration.seconds(1)

    /// A command started: its pid (and process group), and the read end of its output.
    struct Spawned {
        let pid: pid_t
        let reader: Int32
        /// A warm shim's input socket, which the run no longer reads: closed once the run is
        /// supervised, off the way to its start (where the close cost 10 µs).
        var input: Int32 = -1
    }

    /// What `spawn` did.
    enum Spawn {
        case started(Spawned)
        /// Cancelled before its start, or could not start.
        case notStarted(Ending)
    }

    /// Runs the command; `started` receives its pid (and process group) as soon as it exists,
    /// `output` every chunk it writes to stdout or stderr. Blocks until the command and its group
    /// are gone.
    func run(
        cancellation: RunCancellation,
        started: (Int32) -> Void,
        output: (UnsafeRawBufferPointer) -> Void
    ) -> Ending {
        switch spawn(cancellation: cancellation) {
        case .notStarted(let ending):
            return ending
        case .started(let spawned):
            started(spawned.pid)
            return supervise(spawned, cancellation: cancellation, output: output)
        }
    }

    /// Starts the command and returns at once: `supervise` then waits for it, on this thread or
    /// another (the daemon starts a run on its controller's thread and waits on a blocking one).
    func spawn(cancellation: RunCancellation) -> Spawn {
        if cancellation.reason != nil { return .notStarted(.cancelled) }
        var pipeEnds: [Int32] = [-1, -1]
        guard cprocess_pipe(&pipeEnds) == 0 else {
            return .notStarted(.failedToStart("pipe: \(String(cString: strerror(errno)))"))
        }
        let (reader, writer) = (pipeEnds[0], pipeEnds[1])
        var pid: pid_t = 0
        let error = ChildProcess.withCStrings(arguments) { argv in
            ChildProcess.withCStrings(environment) { envp in
                cprocess_spawn(executable, argv, envp, workingDirectory, -1, writer, &pid)
            }
        }
        close(writer)
        guard error == 0 else {
            close(reader)
            let what = error == ENOENT && workingDirectory != nil ? " (in \(workingDirectory!))" : ""
            return .notStarted(.failedToStart("cannot run \(executable)\(what): \(String(cString: strerror(error)))"))
        }
        return .started(Spawned(pid: pid, reader: reader))
    }

    /// Waits for a spawned command and its group to be gone, reading its output, enforcing the
    /// timeout and the cancellation; closes its output's read end.
    func supervise(
        _ spawned: Spawned,
        cancellation: RunCancellation,
        output: (UnsafeRawBufferPointer) -> Void
    ) -> Ending {
        defer {
            close(spawned.reader)
            if spawned.input >= 0 { close(spawned.input) }
        }
        return supervise(pid: spawned.pid, reader: spawned.reader, cancellation: cancellation, output: output)
    }

    private func supervise(
        pid: pid_t,
        reader: Int32,
        cancellation: RunCancellation,
        output: (UnsafeRawBufferPointer) -> Void
    ) -> Ending {
        let pidfd = cprocess_pidfd_open(pid)
        defer { if pidfd >= 0 { close(pidfd) } }
        let clock = ContinuousClock()
        let deadline = timeout == .zero ? nil : clock.now + timeout
        var stopping: Ending?
        var killAt: ContinuousClock.Instant?
        var status: Int32?
        var drainUntil: ContinuousClock.Instant?
        var readerOpen = true
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 << 10, alignment: 1)
        defer { buffer.deallocate() }
        while readerOpen || status == nil {
            let now = clock.now
            if let drainUntil, now >= drainUntil { break }
            if stopping == nil, status == nil, let deadline, now >= deadline {
                stopping = .timedOut
                kill(-pid, SIGTERM)
                onTimeout()
                killAt = clock.now + grace
            }
            if stopping == nil, status == nil, cancellation.reason != nil {
                stopping = .cancelled
                kill(-pid, SIGTERM)
                killAt = now + grace
            }
            if status == nil, let at = killAt, now >= at {
                kill(-pid, SIGKILL)
                killAt = nil
            }
            var fds: [pollfd] = []
            if readerOpen { fds.append(pollfd(fd: reader, events: Int16(POLLIN), revents: 0)) }
            if status == nil, pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            if stopping == nil, cancellation.descriptor >= 0 {
                fds.append(pollfd(fd: cancellation.descriptor, events: Int16(POLLIN), revents: 0))
            }
            let wakes = [stopping == nil ? deadline : nil, killAt, drainUntil].compactMap { $0 }.min()
            var wait = wakes.map { ChildProcess.milliseconds(until: $0, from: now) } ?? -1
            // Without a pidfd (kernels before 5.3), the exit is checked a few times a second.
            if pidfd < 0 || cancellation.descriptor < 0, status == nil { wait = wait < 0 ? 200 : min(wait, 200) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: wait))
            if ready < 0, errno != EINTR { break }
            var outputEnded = false
            for entry in fds where entry.revents != 0 {
                if entry.fd == reader {
                    let count = read(reader, buffer.baseAddress, buffer.count)
                    if count > 0 {
                        output(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        readerOpen = false
                        outputEnded = true
                    }
                }
            }
            // The end of the output is usually the command's exit, a moment before its pidfd says so:
            // checking then saves a wake.
            if status == nil, outputEnded || pidfd < 0 || fds.contains(where: { $0.fd == pidfd && $0.revents != 0 }) {
                // Whatever the run left in its group goes before the leader is reaped: until then
                // its pid, the group's number, cannot be given to another process.
                var raw: Int32 = 0
                let exited = cprocess_has_exited(pid)
                // Reaped by someone else: nothing tells how it ended.
                if exited < 0 { break }
                if exited > 0 {
                    kill(-pid, SIGKILL)
                    var reaped: pid_t
                    repeat { reaped = waitpid(pid, &raw, 0) } while reaped < 0 && errno == EINTR
                    if reaped != pid { break }
                    status = raw
                    drainUntil = clock.now + ChildProcess.drainAfterExit
                }
            }
        }
        if let stopping { return stopping }
        guard let status else { return .failedToStart("the exit status of process \(pid) was lost (reaped elsewhere)") }
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }

    private static func milliseconds(until instant: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int {
        let (seconds, attoseconds) = (instant - now).components
        return max(0, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }

    /// `body` with `strings` as a NULL-terminated array of C strings (each NUL-terminated).
    static func withCStrings<R>(_ strings: [[UInt8]], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { bytes -> UnsafeMutablePointer<CChar>? in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            pointer[bytes.count] = 0
            return pointer
        }
        defer { pointers.forEach { $0?.deallocate() } }
        return body(pointers + [nil])
    }
}
