import Foundation
import Model

/// One blocking call that runs contents one after another, and what stops it: when the task
/// awaiting it is cancelled, the run going on is cancelled and no other starts.
final class RunSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var current: RunCancellation?

    /// Whether the slot was stopped: take no more work.
    var isStopped: Bool { lock.withLock { stopped } }

    /// The cancellation of the next run: already cancelled when the slot is stopped, so that a
    /// content claimed meanwhile starts nothing and is committed as interrupted.
    func nextRun() -> RunCancellation {
        let cancellation = RunCancellation()
        let stop = lock.withLock {
            current = cancellation
            return stopped
        }
        if stop { cancellation.cancel(.stopping) }
        return cancellation
    }

    func stop() {
        let running = lock.withLock {
            stopped = true
            return current
        }
        running?.cancel(.stopping)
    }
}

/// Files shared by the slots of one pipeline, each taken once.
final class FileQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var files: ArraySlice<FileChange>

    init(_ files: [FileChange]) { self.files = files[...] }

    func next() -> FileChange? { lock.withLock { files.popFirst() } }
}
