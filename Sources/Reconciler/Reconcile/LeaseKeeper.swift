import Foundation

/// Renews the leases of every claim this process holds, from one thread: each claim every third
/// of the lease from when it was taken, as long as its run lasts. A claim found lost (its lease
/// expired and another orchestrator took the content) has its run cancelled; a renewal that fails
/// (the database is unreachable) is tried again a third of the lease later, the run going on.
///
/// Why one thread rather than a timer task per run: a run of a few milliseconds would pay for a
/// task group, a timer armed and cancelled, and their wakeups, for a renewal it never needs.
final class LeaseKeeper: @unchecked Sendable {
    private struct Held {
        var pipeline: String
        var sha256: String
        var due: Date
        var cancellation: RunCancellation
    }

    private let store: any StateStore
    private let owner: String
    private let lease: TimeInterval
    private let condition = NSCondition()
    private var held: [Int: Held] = [:]
    private var nextToken = 0
    private var running = false

    init(store: any StateStore, owner: String, lease: TimeInterval) {
        self.store = store
        self.owner = owner
        self.lease = lease
    }

    /// Keeps the claim of `sha256` in `pipeline` renewed until `release` is called with the token
    /// returned; when the claim is lost, `cancellation` is cancelled with `.leaseLost`.
    func hold(pipeline: String, sha256: String, cancellation: RunCancellation, now: Date = Date()) -> Int {
        condition.lock()
        defer { condition.unlock() }
        nextToken += 1
        held[nextToken] = Held(pipeline: pipeline, sha256: sha256, due: now + lease / 3, cancellation: cancellation)
        if !running {
            running = true
            let thread = Thread { [self] in renewLoop() }
            thread.name = "lease-keeper"
            thread.start()
        }
        return nextToken
    }

    func release(_ token: Int) {
        condition.lock()
        held[token] = nil
        condition.unlock()
    }

    /// Never woken early: a new claim is due a third of a lease from now, never before the next
    /// wake. The thread ends after a whole beat with nothing held, and `hold` starts it again.
    private func renewLoop() {
        condition.lock()
        var idleBeats = 0
        while true {
            let now = Date()
            let due = held.filter { $0.value.due <= now }
            if due.isEmpty {
                if held.isEmpty {
                    idleBeats += 1
                    if idleBeats > 1 {
                        running = false
                        condition.unlock()
                        return
                    }
                } else {
                    idleBeats = 0
                }
                let wake = held.values.map(\.due).min() ?? now + lease / 3
                _ = condition.wait(until: wake)
                continue
            }
            condition.unlock()
            for (token, claim) in due {
                let until = Date().addingTimeInterval(lease)
                let renewed = try? store.renewLease(
                    pipeline: claim.pipeline,
                    sha256: claim.sha256,
                    owner: owner,
                    until: until
                )
                if renewed == false { claim.cancellation.cancel(.leaseLost) }
                condition.lock()
                if renewed == false {
                    held[token] = nil
                } else {
                    held[token]?.due = Date() + lease / 3
                }
                condition.unlock()
            }
            condition.lock()
        }
    }
}
