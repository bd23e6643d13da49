import CProcess
import Foundation
import Glibc

/// Tells a run supervised on a blocking thread to stop: its poll loop watches `descriptor`, so a
/// cancellation wakes it at once, whatever it waits for (output, exit, timeout).
///
/// Why not task cancellation: the whole run (claim, spawn, wait, commit) is one blocking call,
/// which no task cancellation reaches. The task that awaits it cancels this token instead, and
/// so does the lease keeper when the claim is lost.
public final class RunCancellation: @unchecked Sendable {
    /// Why a run was told to stop.
    public enum Reason: Sendable, Equatable {
        /// The orchestrator is stopping (drain over, SIGINT): the run is `interrupted`.
        case stopping
        /// Another orchestrator holds the content now: the outcome is not this one's to record.
        case leaseLost
    }

    private let lock = NSLock()
    private var why: Reason?
    /// An eventfd, readable once cancelled; -1 if none could be made (then cancellation is seen
    /// at the poll loop's next wake, within `pollFallback`).
    let descriptor: Int32

    public init() { descriptor = cprocess_eventfd() }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Stops the run, for `reason`; the first reason given is kept.
    public func cancel(_ reason: Reason = .stopping) {
        let first = lock.withLock {
            guard why == nil else { return false }
            why = reason
            return true
        }
        if first, descriptor >= 0 {
            var one: UInt64 = 1
            _ = write(descriptor, &one, 8)
        }
    }

    /// Waits `duration`, or less if cancelled meanwhile; returns whether it was cancelled.
    public func wait(for duration: Duration) -> Bool {
        if reason != nil { return true }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = duration.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        _ = descriptor >= 0 ? poll(&entry, 1, milliseconds) : poll(nil, 0, milliseconds)
        return reason != nil
    }

    /// Why the run was cancelled, if it was.
    public var reason: Reason? { lock.withLock { why } }
}
