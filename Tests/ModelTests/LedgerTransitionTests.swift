import Foundation
import Model
import Testing

/// The ledger's state machine, without a database: what every store persists.
@Suite("Ledger transitions")
struct LedgerTransitionTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = RetryPolicy(retries: 2, backoff: .seconds(10))

    private func new() -> LedgerEntry { .seen(pipeline: "p", sha256: "abc", path: "a.csv", at: start) }

    @Test func anExpiredLeaseIsTakenOverAndTheOldOwnerCannotRecord() throws {
        let held = try #require(new().claimed(by: "one", at: start, lease: 60))
        #expect(held.leaseUntil == start.addingTimeInterval(60) && held.attempts == 1)
        #expect(held.claimed(by: "two", at: start.addingTimeInterval(59)) == nil, "the lease holds")
        let renewed = try #require(held.renewed(by: "one", until: start.addingTimeInterval(120)))
        #expect(renewed.claimed(by: "two", at: start.addingTimeInterval(90)) == nil, "a renewed lease holds longer")
        #expect(held.renewed(by: "two", until: start) == nil, "only the owner renews")
        let taken = try #require(held.claimed(by: "two", at: start.addingTimeInterval(61), lease: 60))
        #expect(taken.owner == "two" && taken.attempts == 1, "the lost attempt is not counted")
        #expect(taken.renewed(by: "one", until: start.addingTimeInterval(200)) == nil)
        #expect(
            taken.completed(by: "one", outcome: .succeeded, policy: policy, jitter: 0, at: start.addingTimeInterval(62))
                == nil,
            "the old owner's outcome is not recorded"
        )
        let done = try #require(
            taken.completed(by: "two", outcome: .succeeded, policy: policy, jitter: 0, at: start.addingTimeInterval(62))
        )
        #expect(done.state == .succeeded && done.leaseUntil == nil)
        #expect(
            new().claimed(by: "one", at: start)?.claimed(by: "two", at: start.addingTimeInterval(1e6)) == nil,
            "a claim without a lease never lapses"
        )
    }

    @Test func aContentRunsOnceToSuccess() throws {
        let claimed = try #require(new().claimed(by: "me", at: start))
        #expect(claimed.state == .running && claimed.owner == "me" && claimed.attempts == 1)
        #expect(claimed.claimed(by: "other", at: start) == nil, "a running content cannot be claimed again")
        #expect(
            claimed.completed(by: "other", outcome: .succeeded, policy: policy, jitter: 0, at: start) == nil,
            "only the owner completes"
        )
        let done = try #require(claimed.completed(by: "me", outcome: .succeeded, policy: policy, jitter: 0, at: start))
        #expect(
            done.state == .succeeded && done.owner == nil && done.succeededAt == start && done.succeededPath == "a.csv"
                && done.lastExitCode == 0
        )
        #expect(done.claimed(by: "me", at: start.addingTimeInterval(1e6)) == nil, "a success is never run again")
        #expect(done.retried(at: start) == nil)
    }

    @Test func failuresBackOffThenQuarantine() throws {
        var entry = new()
        var nextTimes: [TimeInterval?] = []
        var now = start
        for _ in 0..<3 {
            let claimed = try #require(entry.claimed(by: "me", at: now))
            entry = try #require(
                claimed.completed(by: "me", outcome: .exited(code: 2), policy: policy, jitter: 0, at: now)
            )
            nextTimes.append(entry.nextAttemptAt?.timeIntervalSince(now))
            #expect(entry.claimed(by: "me", at: now) == nil || entry.nextAttemptAt == nil, "not due before its time")
            now = entry.nextAttemptAt ?? now
        }
        #expect(nextTimes == [10, 20, nil])
        #expect(
            entry.state == .quarantined && entry.attempts == 3 && entry.lastExitCode == 2
                && entry.lastError == "exited with code 2"
        )
        let retried = try #require(entry.retried(at: now))
        #expect(retried.state == .failed && retried.attempts == 0 && retried.isClaimable(at: now))
    }

    @Test(arguments: [RunOutcome.interrupted, .changedDuringRun])
    func interruptionsAreDueAtOnceAndDoNotCount(_ outcome: RunOutcome) throws {
        let claimed = try #require(new().claimed(by: "me", at: start))
        let entry = try #require(claimed.completed(by: "me", outcome: outcome, policy: policy, jitter: 0, at: start))
        #expect(
            entry.state == .failed && entry.attempts == 0 && entry.nextAttemptAt == start
                && entry.lastError == outcome.description
        )
        #expect(entry.isClaimable(at: start))
    }

    @Test func seenAgainFollowsTheFileAndKeepsTheState() throws {
        let done = try #require(
            new().claimed(by: "me", at: start)?.completed(
                by: "me",
                outcome: .succeeded,
                policy: policy,
                jitter: 0,
                at: start
            )
        )
        let later = start.addingTimeInterval(60)
        let moved = done.seenAgain(path: "renamed.csv", at: later)
        #expect(
            moved.state == .succeeded && moved.path == "renamed.csv" && moved.lastSeen == later
                && moved.firstSeen == start && moved.succeededPath == "a.csv"
        )
    }
}

/// What the planner tells both `reconcile` and the daemon to record as seen: one rule, one path.
@Suite("Seen contents")
struct SeenContentTests {
    @Test func newMovedAndStaleContentsAreRecordedOthersNot() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let pipeline = try #require(
            ManifestDocument.parse(
                "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  watch: {path: in}\n  run: {command: [x]}\n",
                file: "p.yaml"
            ).first?.pipeline
        )
        let files = ["new.csv": "n", "same.csv": "s", "renamed.csv": "r", "stale.csv": "t", "copy.csv": "n"].map {
            ObservedFile(path: $0.key, status: .ready, size: 1, sha256: $0.value)
        }.sorted { $0.path < $1.path }
        func known(_ sha: String, _ path: String, seen: Date) -> LedgerEntry {
            LedgerEntry(pipeline: "p", sha256: sha, state: .succeeded, firstSeen: seen, lastSeen: seen, path: path)
        }
        let ledger = [
            "s": known("s", "same.csv", seen: now.addingTimeInterval(-60)), "r": known("r", "old-name.csv", seen: now),
            "t": known("t", "stale.csv", seen: now.addingTimeInterval(-7200)),
        ]
        let plan = Planner.planFiles(
            PipelinePlan(name: "p", file: "p.yaml", change: .unchanged, effective: pipeline),
            folder: ObservedFolder(files: files),
            ledger: ledger,
            now: now
        )
        #expect(
            plan.seen == [
                SeenContent(sha256: "n", path: "copy.csv"), SeenContent(sha256: "r", path: "renamed.csv"),
                SeenContent(sha256: "t", path: "stale.csv"),
            ]
        )
    }
}
