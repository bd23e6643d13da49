import Foundation
import Model
import Testing

@testable import Reconciler

/// `onSuccess`/`onFailure` moves and deletes are owed by the ledger until done: recorded with the
/// outcome, retried after a failure, dropped only when the file no longer holds the content.
@Suite("Owed file actions")
struct FileActionTests {
    private struct Folder {
        let root: String
        let store: SQLiteStateStore
        let pipeline: Pipeline
        var manifest: String { root + "/m.yaml" }

        init(onSuccess: String, movedTo target: String? = nil) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("actions-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root + "/in/sub", withIntermediateDirectories: true)
            store = try SQLiteStateStore(path: root + "/state.db")
            let text =
                "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  watch: {path: in, settle: 0s}\n  run: {command: [x]}\n  onSuccess: \(target.map { "{action: move, to: \($0)}" } ?? onSuccess)\n"
            pipeline = try #require(ManifestDocument.parse(text, file: "m.yaml").first?.pipeline)
        }

        /// Writes a file and processes it to success: the ledger then owes `onSuccess`.
        func processed(_ path: String, _ text: String, at now: Date) throws -> PendingFileAction {
            try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/in/" + path))
            let observed = try Observer(store: store).observe(pipeline, manifestFile: manifest, now: now)
            let sha = try #require(observed.files.first { $0.path == path }?.sha256)
            try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: path)], at: now)
            let run = RunRecord(id: "r-\(path)", pipeline: "p", sha256: sha, path: path, startedAt: now, logFile: "log")
            _ = try store.claim(pipeline: "p", sha256: sha, owner: "me", run: run, at: now)
            _ = try store.complete(
                pipeline: "p",
                sha256: sha,
                owner: "me",
                run: (run.id, ""),
                outcome: .succeeded,
                policy: RetryPolicy(retries: 0, backoff: .seconds(1)),
                fileActions: (pipeline.spec.onSuccess, .keep),
                jitter: 0,
                at: now
            )
            return try #require(try store.pendingFileActions(pipeline: "p").first { $0.path == path })
        }

        func attempt(_ pending: PendingFileAction, at now: Date) throws -> String? {
            try FileActions.attempt(pending, of: pipeline, manifestFile: manifest, store: store, now: now)
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func theOutcomeAndTheActionItOwesAreCommittedTogether() throws {
        let folder = try Folder(onSuccess: "delete")
        defer { folder.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let owed = try folder.processed("sub/a.csv", "a", at: now)
        // A crash here (after the commit, before the delete) leaves the action in the ledger.
        #expect(owed.action == .delete && owed.attempts == 0 && owed.createdAt == now && owed.isDue(at: now))
        #expect(try folder.attempt(owed, at: now) == nil)
        #expect(!FileManager.default.fileExists(atPath: folder.root + "/in/sub/a.csv"))
        #expect(try folder.store.pendingFileActions(pipeline: nil).isEmpty)
        #expect(
            try folder.store.observation(pipeline: "p", path: "sub/a.csv") == nil,
            "the file left: so does its stat-cache row"
        )
    }

    @Test func aFailedMoveIsWordedKeptAndRetriedUntilItWorks() throws {
        let folder = try Folder(onSuccess: "{action: move, to: done}")
        defer { folder.remove() }
        try Data("in the way".utf8).write(to: URL(fileURLWithPath: folder.root + "/done"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let owed = try folder.processed("sub/a.csv", "a", at: now)

        let problem = try folder.attempt(owed, at: now)
        #expect(
            problem
                == "p/sub/a.csv: cannot move sub/a.csv to \(folder.root)/done: \(folder.root)/done is a file (attempt 1, tried again from 2027-01-15T08:00:10Z)"
        )
        let kept = try #require(try folder.store.pendingFileActions(pipeline: "p").first)
        #expect(kept.attempts == 1)
        #expect(kept.lastError == "cannot move sub/a.csv to \(folder.root)/done: \(folder.root)/done is a file")
        #expect(kept.nextAttemptAt == now.addingTimeInterval(10))
        #expect(FileManager.default.fileExists(atPath: folder.root + "/in/sub/a.csv"))

        try FileManager.default.removeItem(atPath: folder.root + "/done")
        #expect(try folder.attempt(kept, at: now.addingTimeInterval(10)) == nil)
        #expect(FileManager.default.fileExists(atPath: folder.root + "/done/sub/a.csv"))
        #expect(!FileManager.default.fileExists(atPath: folder.root + "/in/sub/a.csv"))
        #expect(try folder.store.pendingFileActions(pipeline: nil).isEmpty)
    }

    @Test func aFileWithNewContentOrGoneOwesNothing() throws {
        let folder = try Folder(onSuccess: "delete")
        defer { folder.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let rewritten = try folder.processed("a.csv", "a", at: now)
        let gone = try folder.processed("b.csv", "b", at: now)
        try Data("another content".utf8).write(to: URL(fileURLWithPath: folder.root + "/in/a.csv"))
        try FileManager.default.removeItem(atPath: folder.root + "/in/b.csv")

        #expect(try folder.attempt(rewritten, at: now) == "p/a.csv: changed since it was processed; left in place")
        #expect(try String(contentsOfFile: folder.root + "/in/a.csv", encoding: .utf8) == "another content")
        #expect(try folder.attempt(gone, at: now) == nil)
        #expect(try folder.store.pendingFileActions(pipeline: nil).isEmpty)
    }

    /// A move to another file system copies under a hidden name, renames it into place, then
    /// removes the original: never a truncated file under the real name.
    @Test(
        .enabled(
            if: FileStat.ofRoot("/dev/shm")?.device != FileStat.ofRoot(NSTemporaryDirectory())?.device,
            "needs /dev/shm on another file system"
        )
    )
    func aMoveAcrossFileSystemsCopiesThenRemoves() throws {
        let done = "/dev/shm/orchestrator-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: done) }
        let folder = try Folder(onSuccess: "keep", movedTo: done)
        defer { folder.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let owed = try folder.processed("sub/a.csv", "across", at: now)
        try FileManager.default.createDirectory(atPath: done + "/sub", withIntermediateDirectories: true)
        try Data("stale partial".utf8).write(
            to: URL(fileURLWithPath: done + "/sub/.orchestrator-partial-" + owed.sha256.prefix(12)),
            options: []
        )
        #expect(try folder.attempt(owed, at: now) == nil)
        #expect(try String(contentsOfFile: done + "/sub/a.csv", encoding: .utf8) == "across")
        #expect(!FileManager.default.fileExists(atPath: folder.root + "/in/sub/a.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: done + "/sub") == ["a.csv"], "no partial copy left")
    }
}
