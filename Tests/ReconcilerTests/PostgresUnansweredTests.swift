import Foundation
import Testing

@testable import Reconciler

/// A PostgreSQL server that stops answering without closing the connection (a host lost, a
/// partition) must not hold the store's calls until TCP gives up: the unanswered call fails
/// after the store's limit, the store says it is unreachable, and it connects again after.
@Suite("PostgreSQL calls that go unanswered")
struct PostgresUnansweredTests {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["ORCHESTRATOR_TEST_POSTGRES_URL"]

    @Test(.enabled(if: url != nil || environment["CI"] == "true", "needs scripts/services.sh (PostgreSQL)"))
    func aCallUnansweredPastTheLimitFailsAndTheStoreRecovers() async throws {
        let info = try PostgresConnectionInfo(url: try #require(Self.url))
        let password = Self.environment["ORCHESTRATOR_TEST_PGPASSWORD"]
        let schema = "unanswered_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try PostgresStateStore(info: info, password: password, schema: schema, unansweredLimit: .seconds(1))
        defer { try? store.dropSchema() }
        let holder = try PostgresStateStore(info: info, password: password, schema: schema)

        // The holder locks the ledger in a transaction it keeps open until told (60 s at most,
        // so that a store without a limit gets its answer and the test fails rather than hangs;
        // long enough for a loaded machine to get the store's call to the server meanwhile):
        // to the store, a server that does not answer.
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holding = Thread {
            try? holder.transaction { session in
                try session.query("LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE")
                locked.signal()
                _ = release.wait(timeout: .now() + 60)
            }
            locked.signal()
        }
        holding.start()
        await Blocking.run { locked.wait() }

        let failed = await Blocking.run { () -> Bool in
            (try? store.ledger(pipeline: "p", sha256s: ["x"])) == nil
        }
        let availableMeanwhile = store.isAvailable
        release.signal()
        #expect(failed, "the unanswered call fails (the lock is still held when it returns)")
        #expect(!availableMeanwhile, "and the store says it is unreachable")

        try await waitUntil("the store answers again") {
            (try? store.ledger(pipeline: "p", sha256s: ["x"])) != nil
        }
        #expect(store.isAvailable)
    }

    /// Polls `condition` until it holds, or fails the test after `timeout`.
    func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
