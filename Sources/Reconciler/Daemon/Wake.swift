import Foundation

/// Wakes the daemon's loop early: events signal it, and the loop waits for a signal or a
/// deadline, whichever comes first. One waiter at a time (the loop); signals while nobody waits
/// are remembered, so none is lost.
final class Wake: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation = 0
    private var expired = 0

    func signal() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Returns at the first signal, or after `timeout`.
    func wait(timeout: Duration) async {
        if lock.withLock({ () -> Bool in
            defer { pending = false }
            return pending
        }) {
            return
        }
        let ticket = lock.withLock { () -> Int in
            generation += 1
            return generation
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(ticket)
        }
        await withCheckedContinuation { continuation in
            let resumeNow = lock.withLock { () -> Bool in
                if pending || expired == ticket {
                    pending = false
                    return true
                }
                waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    private func expire(_ ticket: Int) {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            guard generation == ticket else { return nil }
            expired = ticket
            let waiting = waiter
            waiter = nil
            return waiting
        }
        continuation?.resume()
    }
}
