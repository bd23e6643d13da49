import Foundation
import Model
import Reconciler
import Testing

/// The contract every state store keeps, whatever holds it: the same tests run against the
/// embedded SQLite store and the shared PostgreSQL one (the server started by
/// `scripts/services.sh`; each test in a schema of its own).
@Suite("State store contract")
struct StateStoreContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        var testDescription: String { rawValue }
    }

    static let environment = ProcessInfo.processInfo.environment
    /// The kinds this machine can test: PostgreSQL when scripts/services.sh started it (always in CI).
    static let kinds: [Kind] =
        environment["ORCHESTRATOR_TEST_POSTGRES_URL"] != nil || environment["CI"] == "true" ? Kind.allCases : [.sqlite]

    typealias Store = any StateStore & ConsoleStore

    /// A new, empty store of `kind`, and how to dispose of it.
    static func make(_ kind: Kind) throws -> (store: Store, remove: () -> Void) {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)")
            return (
                try SQLiteStateStore(path: folder.path + "/state.db"),
                { try? FileManager.default.removeItem(at: folder) }
            )
        case .postgres:
            let url = try #require(
                environment["ORCHESTRATOR_TEST_POSTGRES_URL"],
                "scripts/services.sh starts PostgreSQL"
            )
            let store = try PostgresStateStore(
                info: try PostgresConnectionInfo(url: url),
                password: environment["ORCHESTRATOR_TEST_PGPASSWORD"],
                schema: "contract_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            )
            return (store, { try? store.dropSchema() })
        }
    }

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    /// A distinct hash per `n`, distinct from its first 8 characters.
    static func sha(_ n: Int) -> String { String(format: "%08x", n) + String(repeating: "e", count: 56) }

    static func pipeline(_ name: String, command: String = "true") -> Pipeline {
        let text = """
            apiVersion: orchestrator/v1
            kind: Pipeline
            metadata: {name: \(name)}
            spec:
              watch: {path: /srv/\(name)}
              run: {command: ["\(command)"]}

            """
        return ManifestDocument.parse(text, file: "x.yaml")[0].pipeline!
    }

    static func run(_ id: String, sha: String, at time: Date) -> RunRecord {
        RunRecord(id: id, pipeline: "p", sha256: sha, path: "a.csv", startedAt: time, logFile: "/dev/null")
    }

    @Test(arguments: kinds) func appliedSpecsCountGenerations(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        #expect(try store.recordApplied(Self.pipeline("p"), file: "p.yaml", at: Self.t0).generation == 1)
        #expect(try store.recordApplied(Self.pipeline("p"), file: "p.yaml", at: Self.t0).generation == 1, "same spec")
        #expect(
            try store.recordApplied(Self.pipeline("p", command: "false"), file: "p.yaml", at: Self.t0).generation == 2
        )
        #expect(try store.appliedSpecs().map(\.name) == ["p"])
        try store.removeApplied("p")
        #expect(try store.appliedSpecs().isEmpty)
    }

    @Test(arguments: kinds) func aContentIsClaimedOnceAndCompletedByItsOwnerOnly(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        let sha = Self.sha(1)
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "a.csv")], at: Self.t0)
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "b.csv")], at: Self.t0 + 60)
        #expect(try store.ledger(pipeline: "p")[sha]?.path == "b.csv", "a known content's path is refreshed")
        for (path, time) in [("a.csv", Self.t0), ("b.csv", Self.t0 + 60)] {
            try store.saveObservations([Self.observation(path, sha: sha, at: time)], removing: [], pipeline: "p")
        }
        #expect(try store.names(pipeline: "p", sha256: sha) == ["a.csv", "b.csv"], "every name, from the stat cache")
        #expect(
            try store.claim(
                pipeline: "p",
                sha256: sha,
                owner: "one",
                run: Self.run("r1", sha: sha, at: Self.t0),
                at: Self.t0
            ) != nil
        )
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "two", run: nil, at: Self.t0) == nil, "held")
        #expect(try store.claims().map(\.owner) == ["one"])
        let policy = RetryPolicy(retries: 1, backoff: .seconds(10))
        let actions: (onSuccess: FileAction, onFailure: FileAction) = (.delete, .keep)
        #expect(
            try store.complete(
                pipeline: "p",
                sha256: sha,
                owner: "two",
                run: nil,
                outcome: .succeeded,
                policy: policy,
                fileActions: actions,
                jitter: 0,
                at: Self.t0
            ) == nil,
            "only the owner records the outcome"
        )
        let done = try store.complete(
            pipeline: "p",
            sha256: sha,
            owner: "one",
            run: ("r1", "ok"),
            outcome: .succeeded,
            policy: policy,
            fileActions: actions,
            jitter: 0,
            at: Self.t0 + 1
        )
        #expect(done?.state == .succeeded)
        #expect(try store.pendingFileActions(pipeline: "p").map(\.path) == ["a.csv"], "owed, on the path the run had")
        try store.finishFileAction(pipeline: "p", path: "a.csv", fileLeft: true)
        #expect(try store.pendingFileActions(pipeline: nil).isEmpty)
        #expect(try store.runs(pipeline: "p", limit: 5).first?.outcome == .succeeded)
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "two", run: nil, at: Self.t0 + 2) == nil, "done")
    }

    @Test(arguments: kinds) func anExpiredLeaseIsTakenOver(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        let sha = Self.sha(4)
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "a.csv")], at: Self.t0)
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "one", run: nil, lease: 60, at: Self.t0) != nil)
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "two", run: nil, lease: 60, at: Self.t0 + 30) == nil)
        #expect(try store.renewLease(pipeline: "p", sha256: sha, owner: "one", until: Self.t0 + 120))
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "two", run: nil, lease: 60, at: Self.t0 + 90) == nil)
        #expect(
            try store.claim(pipeline: "p", sha256: sha, owner: "two", run: nil, lease: 60, at: Self.t0 + 121) != nil
        )
        #expect(try !store.renewLease(pipeline: "p", sha256: sha, owner: "one", until: Self.t0 + 200), "lost")
        let policy = RetryPolicy(retries: 0, backoff: .seconds(1))
        #expect(
            try store.complete(
                pipeline: "p",
                sha256: sha,
                owner: "one",
                run: nil,
                outcome: .succeeded,
                policy: policy,
                fileActions: (.keep, .keep),
                jitter: 0,
                at: Self.t0 + 122
            ) == nil
        )
        let done = try store.complete(
            pipeline: "p",
            sha256: sha,
            owner: "two",
            run: nil,
            outcome: .succeeded,
            policy: policy,
            fileActions: (.keep, .keep),
            jitter: 0,
            at: Self.t0 + 123
        )
        #expect(done?.state == .succeeded && done?.attempts == 1 && done?.leaseUntil == nil)
        #expect(try store.ledger(pipeline: "p")[sha]?.leaseUntil == nil)
    }

    /// A pipeline's `concurrency` holds across the processes that share the state: a claim is
    /// refused while that many other contents run under live claims, and granted once one ends
    /// or its lease expires.
    @Test(arguments: kinds) func concurrencyHoldsAcrossOwners(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        let shas = (1...3).map(Self.sha)
        try store.recordSeen(
            pipeline: "p",
            contents: shas.map { SeenContent(sha256: $0, path: "\($0).csv") },
            at: Self.t0
        )
        func claim(_ sha: String, _ owner: String, at time: Date) throws -> Bool {
            try store.claim(pipeline: "p", sha256: sha, owner: owner, run: nil, lease: 60, concurrency: 2, at: time)
                != nil
        }
        #expect(try claim(shas[0], "one", at: Self.t0))
        #expect(try claim(shas[1], "two", at: Self.t0))
        #expect(try !claim(shas[2], "three", at: Self.t0), "two running elsewhere: no slot")
        #expect(try store.ledger(pipeline: "p")[shas[2]]?.state == .pending, "refused, still pending")
        _ = try store.complete(
            pipeline: "p",
            sha256: shas[0],
            owner: "one",
            run: nil,
            outcome: .succeeded,
            policy: RetryPolicy(retries: 0, backoff: .seconds(1)),
            fileActions: (onSuccess: .keep, onFailure: .keep),
            jitter: 0,
            at: Self.t0 + 1
        )
        #expect(try claim(shas[2], "three", at: Self.t0 + 1), "a slot freed")
        #expect(
            try store.claim(
                pipeline: "p",
                sha256: shas[0],
                owner: "x",
                run: nil,
                lease: 60,
                concurrency: 2,
                at: Self.t0 + 2
            )
                == nil
        )
        #expect(try claim(shas[1], "four", at: Self.t0 + 61), "an expired lease frees its slot and its content")
    }

    @Test(arguments: kinds) func failuresRetryThenQuarantineAndCanBeRetriedOrForgotten(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        let sha = Self.sha(2)
        let policy = RetryPolicy(retries: 1, backoff: .seconds(10))
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "a.csv")], at: Self.t0)
        for attempt in 0..<2 {
            let now = Self.t0 + Double(attempt) * 100
            #expect(
                try store.claim(pipeline: "p", sha256: sha, owner: "o", run: nil, at: now) != nil,
                "attempt \(attempt)"
            )
            try store.complete(
                pipeline: "p",
                sha256: sha,
                owner: "o",
                run: nil,
                outcome: .exited(code: 3),
                policy: policy,
                fileActions: (.keep, .keep),
                jitter: 0,
                at: now
            )
        }
        #expect(try store.ledger(pipeline: "p")[sha]?.state == .quarantined)
        #expect(try store.retry(pipeline: "p", sha256: sha, at: Self.t0 + 500) == 1)
        #expect(try store.claim(pipeline: "p", sha256: sha, owner: "o", run: nil, at: Self.t0 + 500) != nil)
        try store.complete(
            pipeline: "p",
            sha256: sha,
            owner: "o",
            run: nil,
            outcome: .exited(code: 3),
            policy: policy,
            fileActions: (.keep, .keep),
            jitter: 0,
            at: Self.t0 + 501
        )
        #expect(try store.forget(pipeline: "p", sha256: sha))
        #expect(try store.ledger(pipeline: "p", sha256s: [sha]).isEmpty)
    }

    static func observation(_ path: String, sha: String, at time: Date) -> Observation {
        Observation(
            pipeline: "p",
            path: path,
            device: 1,
            inode: 2,
            size: 3,
            mtimeNs: 4,
            ctimeNs: 5,
            sha256: sha,
            observedAt: time
        )
    }

    @Test(arguments: kinds) func observationsAreReadByKey(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        try store.saveObservations(
            [Self.observation("a.csv", sha: Self.sha(3), at: Self.t0)],
            removing: [],
            pipeline: "p"
        )
        #expect(try store.observation(pipeline: "p", path: "a.csv")?.sha256 == Self.sha(3))
        #expect(try store.observations(pipeline: "p").count == 1)
        try store.saveObservations([], removing: ["a.csv"], pipeline: "p")
        #expect(try store.observation(pipeline: "p", path: "a.csv") == nil)
    }

    @Test(arguments: kinds) func aLookRecordsItsStatCacheRowsAndTheContentsItSaw(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        try store.saveObservations(
            [Self.observation("old.csv", sha: Self.sha(1), at: Self.t0)],
            removing: [],
            pipeline: "p"
        )
        try store.recordLook(
            pipeline: "p",
            observations: [Self.observation("a.csv", sha: Self.sha(2), at: Self.t0)],
            removing: ["old.csv"],
            seen: [SeenContent(sha256: Self.sha(2), path: "a.csv")],
            at: Self.t0
        )
        #expect(try store.observation(pipeline: "p", path: "a.csv")?.sha256 == Self.sha(2))
        #expect(try store.observation(pipeline: "p", path: "old.csv") == nil)
        #expect(try store.names(pipeline: "p", sha256: Self.sha(2)) == ["a.csv"])
        let entry = try store.ledger(pipeline: "p", sha256s: [Self.sha(2)])[Self.sha(2)]
        #expect(entry?.state == .pending)
        #expect(entry?.path == "a.csv")
    }

    @Test(arguments: kinds) func aClaimReadsItsPathsStatCacheRow(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        try store.recordLook(
            pipeline: "p",
            observations: [Self.observation("a.csv", sha: Self.sha(3), at: Self.t0)],
            removing: [],
            seen: [SeenContent(sha256: Self.sha(3), path: "a.csv")],
            at: Self.t0
        )
        func claim(_ owner: String) throws -> (entry: LedgerEntry, observed: Observation?)? {
            try store.claimObserving(
                pipeline: "p",
                sha256: Self.sha(3),
                path: "a.csv",
                owner: owner,
                run: nil,
                lease: 60,
                concurrency: nil,
                at: Self.t0
            )
        }
        let claimed = try #require(try claim("one"))
        #expect(claimed.entry.state == .running)
        #expect(claimed.observed?.sha256 == Self.sha(3))
        #expect(try claim("two") == nil, "held: neither the claim nor the read")
    }

    @Test(arguments: kinds) func aLookRecordedWithAClaimIsRecordedEvenWhenTheClaimIsRefused(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        func look(_ path: String, _ sha: String) -> LookRecord {
            LookRecord(
                pipeline: "p",
                observations: [Self.observation(path, sha: sha, at: Self.t0)],
                removed: [],
                seen: [SeenContent(sha256: sha, path: path)],
                at: Self.t0
            )
        }
        func claim(_ look: LookRecord, _ sha: String, owner: String) throws -> (LedgerEntry, Observation?)? {
            try store.recordLook(
                look,
                thenClaim: sha,
                path: look.observations[0].path,
                owner: owner,
                run: nil,
                lease: 60,
                concurrency: 1
            )
        }
        // A new content, seen and claimed at once: running, with the stat-cache row just saved.
        let claimed = try #require(try claim(look("a.csv", Self.sha(4)), Self.sha(4), owner: "one"))
        #expect(claimed.0.state == .running)
        #expect(claimed.1?.sha256 == Self.sha(4))
        // Another content while the pipeline's one slot is taken: refused, but its look is kept.
        #expect(try claim(look("b.csv", Self.sha(5)), Self.sha(5), owner: "two") == nil)
        #expect(try store.observation(pipeline: "p", path: "b.csv")?.sha256 == Self.sha(5))
        #expect(try store.ledger(pipeline: "p", sha256s: [Self.sha(5)])[Self.sha(5)]?.state == .pending)
    }

    @Test(arguments: kinds) func databasePipelinesKeepEveryVersion(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        let revision = try store.pipelinesRevision()
        #expect(try store.savePipeline(name: "a", text: "v1", author: "x", basedOn: nil, at: Self.t0).version == 1)
        #expect(throws: ConsoleStoreError.versionConflict(name: "a", current: 1, basedOn: nil)) {
            try store.savePipeline(name: "a", text: "again", author: "y", basedOn: nil, at: Self.t0)
        }
        #expect(try store.savePipeline(name: "a", text: "v2", author: "y", basedOn: 1, at: Self.t0).version == 2)
        #expect(try store.deletePipeline(name: "a", author: "z", basedOn: 2, at: Self.t0).deleted)
        #expect(try store.storedPipelines().isEmpty)
        #expect(try store.pipelineHistory("a").map(\.version) == [1, 2, 3])
        #expect(try store.savePipeline(name: "a", text: "back", author: "x", basedOn: nil, at: Self.t0).version == 4)
        #expect(try store.pipelinesRevision() > revision)
        #expect(try store.setSuspended("a", true, author: "ops", at: Self.t0))
        #expect(try store.suspensions() == ["a": "ops"])
        #expect(try !store.setSuspended("a", true, author: "ops", at: Self.t0), "already suspended")
    }

    @Test(arguments: kinds) func usersAuditAndLedgerPages(_ kind: Kind) throws {
        let (store, remove) = try Self.make(kind)
        defer { remove() }
        try store.saveUser(UserAccount(name: "u", role: .uploader, passwordHash: "h", grants: ["p"]))
        #expect(try store.user(named: "u")?.grants == ["p"])
        #expect(try store.removeUser("u") && store.users().isEmpty)
        try store.appendAudit(AuditEvent(at: Self.t0, user: "a", action: .login, target: "console"))
        try store.appendAudit(AuditEvent(at: Self.t0, user: "a", action: .upload, target: "p/x.csv"))
        #expect(try store.audit(limit: 10).map(\.action) == [.upload, .login], "newest first")
        let contents = (0..<30).map { SeenContent(sha256: Self.sha(100 + $0), path: "f\($0).csv") }
        try store.recordSeen(pipeline: "p", contents: contents, at: Self.t0)
        try store.saveObservations(
            contents.map { Self.observation($0.path, sha: $0.sha256, at: Self.t0) },
            removing: [],
            pipeline: "p"
        )
        let page = try store.ledgerPage(pipeline: "p", search: nil, state: nil, offset: 20, limit: 20)
        #expect(page.total == 30 && page.entries.count == 10)
        #expect(try store.ledgerPage(pipeline: "p", search: "f1", state: nil, offset: 0, limit: 50).total == 11)
        let prefix = String(Self.sha(105).prefix(8))
        #expect(try store.ledgerPage(pipeline: "p", search: prefix, state: .pending, offset: 0, limit: 5).total == 1)
        #expect(try store.ledgerCounts(pipeline: "p")[.pending] == 30)
        let secret = try store.serverSecret("k") { "first" }
        #expect(try store.serverSecret("k") { "second" } == secret)
    }
}
