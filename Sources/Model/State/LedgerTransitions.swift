import Foundation

/// The ledger's state machine as pure functions: each store (SQLite today, PostgreSQL next)
/// persists what these return, under its own conditional update, so that every store makes the
/// very same decisions and the decisions are unit-tested without a database.
///
/// `pending → running → succeeded | failed → running → … → quarantined`; `retry` takes failed
/// and quarantined contents back to due.
extension LedgerEntry {
    /// A content seen for the first time at `now`, under `path`.
    public static func seen(pipeline: String, sha256: String, path: String, at now: Date) -> LedgerEntry {
        LedgerEntry(pipeline: pipeline, sha256: sha256, state: .pending, firstSeen: now, lastSeen: now, path: path)
    }

    /// Seen again: the last-seen time and path follow the file; the state does not change.
    public func seenAgain(path: String, at now: Date) -> LedgerEntry {
        var entry = self
        entry.lastSeen = now
        entry.path = path
        return entry
    }

    /// How stale `lastSeen` may get before a look at the file refreshes it: an hour, so that
    /// looking at a folder of 20,000 known files does not write 20,000 rows each time.
    public static let lastSeenResolution: TimeInterval = 3600

    /// Whether seeing the content at `path` at `now` is news for the ledger: another path, or
    /// a last-seen time older than `lastSeenResolution`.
    public func needsRecording(seenAt path: String, at now: Date) -> Bool {
        path != self.path || now.timeIntervalSince(lastSeen) >= LedgerEntry.lastSeenResolution
    }

    /// Whether a run may claim the content at `now`: new, failed and due, or claimed under a
    /// lease that has expired.
    public func isClaimable(at now: Date) -> Bool {
        state == .pending || (state == .failed && (nextAttemptAt.map { $0 <= now } ?? true)) || leaseExpired(at: now)
    }

    /// Whether the content is claimed under a lease that has expired at `now`.
    public func leaseExpired(at now: Date) -> Bool {
        state == .running && (leaseUntil.map { $0 <= now } ?? false)
    }

    /// The claim of `owner` kept until `until`, or `nil` when `owner` no longer holds it.
    public func renewed(by owner: String, until: Date) -> LedgerEntry? {
        guard state == .running, self.owner == owner else { return nil }
        var entry = self
        entry.leaseUntil = until
        return entry
    }

    /// Claimed by `owner`, or `nil` when not claimable: one more attempt, no due time, and a
    /// lease of `lease` seconds when given. Taking over an expired claim does not count another
    /// attempt: the one that was lost was not the command's fault.
    public func claimed(by owner: String, at now: Date, lease: TimeInterval? = nil) -> LedgerEntry? {
        guard isClaimable(at: now) else { return nil }
        var entry = self
        if state != .running { entry.attempts += 1 }
        entry.state = .running
        entry.owner = owner
        entry.nextAttemptAt = nil
        entry.leaseUntil = lease.map { now.addingTimeInterval($0) }
        return entry
    }

    /// The outcome of the claim of `owner` recorded, or `nil` when `owner` does not hold it.
    ///
    /// A success is final. An interruption (the orchestrator stopped, or the file changed under
    /// the command) is not the command's fault: due again at once, and the attempt does not
    /// count. Any other failure is retried with backoff (`jitter` in `0..<1`), then quarantined.
    public func completed(
        by owner: String,
        outcome: RunOutcome,
        policy: RetryPolicy,
        jitter: Double,
        at now: Date
    ) -> LedgerEntry? {
        guard state == .running, self.owner == owner else { return nil }
        var entry = self
        entry.owner = nil
        entry.leaseUntil = nil
        entry.lastExitCode = nil
        entry.lastSignal = nil
        switch outcome {
        case .succeeded:
            entry.state = .succeeded
            entry.succeededAt = now
            entry.succeededPath = entry.path
            entry.lastError = nil
            entry.lastExitCode = 0
        case .interrupted, .changedDuringRun:
            entry.state = .failed
            entry.attempts = max(entry.attempts - 1, 0)
            entry.nextAttemptAt = now
            entry.lastError = outcome.description
        default:
            if case .exited(let code) = outcome { entry.lastExitCode = code }
            if case .signaled(let signal) = outcome { entry.lastSignal = signal }
            entry.lastError = outcome.description
            entry.nextAttemptAt = policy.nextAttempt(afterAttempts: entry.attempts, now: now, jitter: jitter)
            entry.state = entry.nextAttemptAt == nil ? .quarantined : .failed
        }
        return entry
    }

    /// `orchestrator retry`: a failed or quarantined content due at `now`, its attempts reset;
    /// `nil` for any other state.
    public func retried(at now: Date) -> LedgerEntry? {
        guard state == .failed || state == .quarantined else { return nil }
        var entry = self
        entry.state = .failed
        entry.nextAttemptAt = now
        entry.attempts = 0
        return entry
    }
}
