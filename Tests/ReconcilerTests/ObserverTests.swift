import Foundation
import GRDB
import Model
import Testing

@testable import Reconciler

@Suite("Observer and state store")
struct ObserverTests {
    private func temporary() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("observer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/in/sub", withIntermediateDirectories: true)
        return path
    }

    private func pipeline(_ yaml: String) throws -> Pipeline {
        let text = "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n" + yaml
        return try #require(ManifestDocument.parse(text, file: "m.yaml").first?.pipeline)
    }

    @Test func fileChangedWhileHashedIsNotTaken() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/in/a.csv"
        try Data("first".utf8).write(to: URL(fileURLWithPath: path))
        let before = try #require(FileStat.of(path))
        #expect(ContentHasher.hash(path, expected: before) != .changed)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" and more".utf8))
        try handle.close()
        #expect(ContentHasher.hash(path, expected: before) == .changed)
    }

    /// A local user swaps a FIFO in for a file between its stat and its hashing: the hasher must
    /// not block waiting for a writer (it would stop the daemon), and must not take it.
    @Test func aFIFOSwappedInForAFileDoesNotBlockTheHasher() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/in/a.csv"
        try Data("content".utf8).write(to: URL(fileURLWithPath: path))
        let seen = try #require(FileStat.of(path))
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0)
        #expect(ContentHasher.hash(path, expected: seen) == .changed)
    }

    @Test func filtersSettleAndStatCache() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["in/a.csv", "in/sub/b.csv", "in/c.txt", "in/.hidden.csv", "in/d.csv.part", "in/~$e.csv"] {
            try Data("x \(name)".utf8).write(to: URL(fileURLWithPath: root + "/" + name))
        }
        try Data().write(to: URL(fileURLWithPath: root + "/in/empty.csv"))
        let store = try SQLiteStateStore(path: root + "/state/state.db")
        let spec = try pipeline("  watch: {path: in, include: [\"*.csv\"], settle: 0s}\n  run: {command: [x]}\n")
        let observer = Observer(store: store)
        let first = try observer.observe(spec, manifestFile: root + "/m.yaml", now: Date())
        #expect(first.files.map(\.path) == ["a.csv", "empty.csv", "sub/b.csv"])
        #expect(first.files.map(\.status) == [.ready, .empty, .ready])
        #expect(try store.observations(pipeline: "p").count == 2)

        let waiting = try pipeline(
            "  watch: {path: in, include: [\"*.csv\"], settle: 1h, recursive: false}\n  run: {command: [x]}\n"
        )
        let second = try observer.observe(waiting, manifestFile: root + "/m.yaml", now: Date())
        #expect(second.files.map(\.path) == ["a.csv", "empty.csv"])
        #expect(second.files.first?.status == .ready, "an unchanged, already hashed file stays ready from the cache")

        try Data("new content".utf8).write(to: URL(fileURLWithPath: root + "/in/a.csv"))
        let third = try observer.observe(waiting, manifestFile: root + "/m.yaml", now: Date())
        #expect(third.files.first?.status == .settling, "a changed file waits for its settle time")
    }

    @Test func claimsAreExclusive() throws {
        let root = try temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try SQLiteStateStore(path: root + "/state.db")
        let other = try SQLiteStateStore(path: root + "/state.db")
        let now = Date()
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: "abc", path: "a.csv")], at: now)
        #expect(try store.claim(pipeline: "p", sha256: "abc", owner: "one", run: nil, at: now) != nil)
        #expect(try other.claim(pipeline: "p", sha256: "abc", owner: "two", run: nil, at: now) == nil)
        #expect(
            try other.complete(
                pipeline: "p",
                sha256: "abc",
                owner: "two",
                run: nil,
                outcome: .succeeded,
                policy: RetryPolicy(retries: 0, backoff: .seconds(1)),
                fileActions: (.keep, .keep),
                jitter: 0,
                at: now
            ) == nil
        )
        let done = try store.complete(
            pipeline: "p",
            sha256: "abc",
            owner: "one",
            run: nil,
            outcome: .exited(code: 1),
            policy: RetryPolicy(retries: 1, backoff: .seconds(10)),
            fileActions: (.keep, .delete),
            jitter: 0,
            at: now
        )
        #expect(done?.state == .failed)
        #expect(done?.nextAttemptAt == now.addingTimeInterval(10))
        #expect(try store.claim(pipeline: "p", sha256: "abc", owner: "two", run: nil, at: now) == nil, "not due yet")
        #expect(
            try store.claim(pipeline: "p", sha256: "abc", owner: "two", run: nil, at: now.addingTimeInterval(11)) != nil
        )
    }
}

@Suite("SQLite state store")
struct SQLiteStateStoreTests {
    @Test func anUnknownLedgerStateIsAnErrorNeverPending() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteStateStore(path: path)
        let sha = String(repeating: "a", count: 64)
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "a.csv")], at: Date())
        #expect(try store.ledger(pipeline: "p")[sha]?.state == .pending)
        try store.database.write {
            try $0.execute(sql: "UPDATE ledger SET state = 'archived' WHERE sha256 = ?", arguments: [sha])
        }
        #expect(throws: StateStoreError.unknownLedgerState(pipeline: "p", sha256: sha, state: "archived")) {
            try store.ledger(pipeline: "p")
        }
    }
}

@Suite("Recovery of a dead orchestrator's runs")
struct RecoveryProcessGroupTests {
    /// A process leading a session of its own, as a run's would: `setsid sleep 60`.
    private func unrelatedGroupLeader() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["sleep", "60"]
        try process.run()
        return process
    }

    private func claimLeftByADeadOrchestrator(_ store: SQLiteStateStore, group: Int32, startedAt: Date) throws {
        let sha = String(repeating: "b", count: 64)
        try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "a.csv")], at: startedAt)
        let dead = Owner(host: Owner.current.host, pid: 999_999, startTime: "1")
        let run = RunRecord(
            id: "run-1",
            pipeline: "p",
            sha256: sha,
            path: "a.csv",
            startedAt: startedAt,
            processGroup: group,
            logFile: "/dev/null"
        )
        _ = try #require(try store.claim(pipeline: "p", sha256: sha, owner: dead.description, run: run, at: startedAt))
    }

    @Test func aReusedGroupNumberIsNotKilled() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try SQLiteStateStore(path: root + "/state.db")
        let stranger = try unrelatedGroupLeader()
        defer { stranger.terminate() }
        // Its group number is its pid once setsid has run.
        let leader = stranger.processIdentifier
        let deadline = ContinuousClock.now + .seconds(10)
        while getpgid(leader) != leader, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(getpgid(leader) == leader, "sleep leads its own group")
        try claimLeftByADeadOrchestrator(store, group: leader, startedAt: Date().addingTimeInterval(-3600))
        let applier = Applier(store: store, executor: Executor(logDirectory: root + "/logs"))
        #expect(try await applier.recover(now: Date()) == 1)
        #expect(kill(leader, 0) == 0, "the unrelated process that now has the group number is alive")
    }
}
