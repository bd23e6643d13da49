import Foundation
import Model
import Testing

@testable import Reconciler

/// The one thread that renews every claim a process holds, against a real SQLite store.
@Suite("Lease keeper")
struct LeaseKeeperTests {
    private static let sha = String(repeating: "a", count: 64)

    private func store() throws -> (SQLiteStateStore, String) {
        let folder = FileManager.default.temporaryDirectory.path + "/lease-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try SQLiteStateStore(path: folder + "/state.db")
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: Self.sha, path: "a.csv")], at: Date())
        return (store, folder)
    }

    /// Waits up to 10 s for `condition`.
    private func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    @Test func aHeldClaimIsRenewedEveryThirdOfItsLease() throws {
        let (store, folder) = try store()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let now = Date()
        #expect(try store.claim(pipeline: "p", sha256: Self.sha, owner: "me", run: nil, lease: 0.6, at: now) != nil)
        let first = try #require(try store.ledger(pipeline: "p")[Self.sha]?.leaseUntil)
        let keeper = LeaseKeeper(store: store, owner: "me", lease: 0.6)
        let cancellation = RunCancellation()
        let token = keeper.hold(pipeline: "p", sha256: Self.sha, cancellation: cancellation, now: now)
        defer { keeper.release(token) }
        #expect(try eventually { try store.ledger(pipeline: "p")[Self.sha]!.leaseUntil! > first + 0.1 })
        #expect(cancellation.reason == nil)
    }

    @Test func aClaimTakenOverElsewhereCancelsItsRun() throws {
        let (store, folder) = try store()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let then = Date() - 10
        #expect(try store.claim(pipeline: "p", sha256: Self.sha, owner: "frozen", run: nil, lease: 1, at: then) != nil)
        // The lease ran out; another orchestrator takes the content over.
        let takenOver = try store.claim(pipeline: "p", sha256: Self.sha, owner: "other", run: nil, at: Date())
        #expect(takenOver != nil)
        let keeper = LeaseKeeper(store: store, owner: "frozen", lease: 0.3)
        let cancellation = RunCancellation()
        _ = keeper.hold(pipeline: "p", sha256: Self.sha, cancellation: cancellation)
        #expect(eventually { cancellation.reason == .leaseLost })
        #expect(try store.ledger(pipeline: "p")[Self.sha]?.owner == "other", "the new owner's claim is untouched")
    }

    @Test func aReleasedClaimIsNoLongerRenewed() throws {
        let (store, folder) = try store()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keeper = LeaseKeeper(store: store, owner: "me", lease: 0.3)
        let cancellation = RunCancellation()
        // Not claimed in the store at all: a renewal would find it lost and cancel.
        let token = keeper.hold(pipeline: "p", sha256: Self.sha, cancellation: cancellation)
        keeper.release(token)
        let other = RunCancellation()
        _ = keeper.hold(pipeline: "p", sha256: Self.sha, cancellation: other)
        #expect(eventually { other.reason == .leaseLost }, "a held one in the same keeper is renewed (and found lost)")
        #expect(cancellation.reason == nil, "the released one was never renewed")
    }
}
