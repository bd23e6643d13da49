import Foundation
import Model
import Reconciler
import Testing

/// `NOTIFY` between two processes sharing a PostgreSQL state (two stores here, as two replicas
/// would hold them): new contents and edited database pipelines are announced on commit, to the
/// others only, and a store's listener comes back after its connection is cut.
@Suite("State notices (PostgreSQL)")
struct StateNoticeTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["ORCHESTRATOR_TEST_POSTGRES_URL"] != nil || environment["CI"] == "true"

    /// Collects the notices of `store` on a task of its own.
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [StateNotice] = []
        private var task: Task<Void, Never>?

        init(_ store: PostgresStateStore) {
            let notices = store.notices()
            task = Task { [self] in for await notice in notices { lock.withLock { received.append(notice) } } }
        }

        var notices: [StateNotice] { lock.withLock { received } }

        func wait(for notice: StateNotice, _ what: String) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !notices.contains(notice) {
                guard ContinuousClock.now < deadline else {
                    Issue.record("no \(what) notice; received \(notices)")
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        deinit { task?.cancel() }
    }

    @Test(.enabled(if: enabled, "needs scripts/services.sh (PostgreSQL)"))
    func changesAreAnnouncedToTheOtherReplicas() async throws {
        let url = try #require(Self.environment["ORCHESTRATOR_TEST_POSTGRES_URL"])
        let schema = "notice_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        func store() throws -> PostgresStateStore {
            try PostgresStateStore(
                info: try PostgresConnectionInfo(url: url),
                password: Self.environment["ORCHESTRATOR_TEST_PGPASSWORD"],
                schema: schema
            )
        }
        let (writer, reader) = (try store(), try store())
        defer { try? writer.dropSchema() }
        let (theirs, own) = (Inbox(reader), Inbox(writer))
        // A notice is only sent once the listener listens: announce until one arrives.
        let now = Date()
        var round = 0
        try await waitForListening {
            round += 1
            try writer.recordSeen(
                pipeline: "warmup",
                contents: [SeenContent(sha256: String(format: "%064x", round), path: "w\(round)")],
                at: now
            )
            return theirs.notices.contains { if case .seen("warmup", _) = $0 { true } else { false } }
        }

        try writer.recordSeen(
            pipeline: "p",
            contents: [
                SeenContent(sha256: String(repeating: "a", count: 64), path: "a.csv"),
                SeenContent(sha256: String(repeating: "b", count: 64), path: "sub/b.csv"),
            ],
            at: now
        )
        try await theirs.wait(for: .seen(pipeline: "p", paths: ["a.csv", "sub/b.csv"]), "seen")
        // A content seen again is no news.
        try writer.recordSeen(
            pipeline: "p",
            contents: [SeenContent(sha256: String(repeating: "a", count: 64), path: "renamed.csv")],
            at: now
        )
        let sha = String(repeating: "b", count: 64)
        _ = try writer.claim(pipeline: "p", sha256: sha, owner: "w", run: nil, at: now)
        _ = try writer.complete(
            pipeline: "p",
            sha256: sha,
            owner: "w",
            run: nil,
            outcome: .succeeded,
            policy: RetryPolicy(retries: 0, backoff: .seconds(1)),
            fileActions: (onSuccess: .keep, onFailure: .keep),
            jitter: 0,
            at: now
        )
        try await theirs.wait(for: .finished(pipeline: "p"), "finished")
        _ = try writer.savePipeline(name: "edited", text: "x", author: "ada", basedOn: nil, at: now)
        try await theirs.wait(for: .pipelinesChanged, "pipelines changed")
        #expect(!theirs.notices.contains(.seen(pipeline: "p", paths: ["renamed.csv"])))
        #expect(own.notices.isEmpty, "a store does not hear itself: \(own.notices)")
    }

    private func waitForListening(_ attempt: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try !attempt() {
            guard ContinuousClock.now < deadline else {
                Issue.record("the listener never listened")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

extension StateNoticeTests {
    /// Two hosts on one PostgreSQL state, each with its stat cache: a stat one host cached is not
    /// the other's (its device numbers differ on NFS), while the names contents were seen under,
    /// like the ledger, are shared.
    @Test(.enabled(if: enabled, "needs scripts/services.sh (PostgreSQL)"))
    func eachHostKeepsItsOwnStatCache() throws {
        let url = try #require(Self.environment["ORCHESTRATOR_TEST_POSTGRES_URL"])
        let schema = "cache_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stat-cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        func host(_ name: String) throws -> PostgresStateStore {
            try PostgresStateStore(
                info: try PostgresConnectionInfo(url: url),
                password: Self.environment["ORCHESTRATOR_TEST_PGPASSWORD"],
                schema: schema,
                statCache: try SQLiteStateStore(path: folder.path + "/\(name)/stat-cache.db", initialize: true)
            )
        }
        let (first, second) = (try host("a"), try host("b"))
        defer { try? first.dropSchema() }
        let sha = String(repeating: "c", count: 64)
        let observation = Observation(
            pipeline: "p",
            path: "a.csv",
            device: 42,
            inode: 7,
            size: 3,
            mtimeNs: 1,
            ctimeNs: 1,
            sha256: sha,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
        try first.saveObservations([observation], removing: [], pipeline: "p")
        #expect(try first.observation(pipeline: "p", path: "a.csv") == observation)
        #expect(try second.observation(pipeline: "p", path: "a.csv") == nil, "the other host's cache is its own")
        #expect(try second.observations(pipeline: "p").isEmpty)
        #expect(try second.names(pipeline: "p", sha256: sha) == ["a.csv"], "names are shared")
    }
}
