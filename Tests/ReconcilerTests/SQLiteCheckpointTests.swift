import Foundation
import Model
import Reconciler
import Testing

/// The SQLite store's write-ahead log is checkpointed by a thread of its own, not inside the
/// commits that cross SQLite's threshold; a writer that never pauses checkpoints itself past a
/// limit, so the log stays bounded either way.
@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)").path
    var path: String { folder + "/state.db" }

    /// Records one new content per commit (about four pages each).
    func commit(_ store: SQLiteStateStore, _ range: Range<Int>) throws {
        for index in range {
            let sha = String(repeating: String(format: "%08x", index), count: 8)
            try store.recordSeen(pipeline: "p", contents: [SeenContent(sha256: sha, path: "f\(index).csv")], at: Date())
        }
    }

    /// The log's checkpoint sequence number (bytes 12–15 of its header, big-endian): SQLite
    /// increments it each time the log restarts from its beginning after a full checkpoint.
    func logRestarts() throws -> UInt32 {
        let header = try Data(contentsOf: URL(fileURLWithPath: path + "-wal")).prefix(16)
        return header.suffix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    @Test func theThreadCheckpointsOnceTheLogPassesTheThreshold() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStateStore(path: path)
        // Some 1,500 pages: past the threshold (1,000), short of the limit where commits checkpoint.
        try commit(store, 0..<300)
        let before = try logRestarts()
        // The log restarts at the first commit after a full checkpoint: commit now and then until it does.
        let deadline = ContinuousClock.now + .seconds(30)
        var next = 300
        while try logRestarts() == before {
            try #require(ContinuousClock.now < deadline, "the log was never checkpointed")
            try await Task.sleep(for: .milliseconds(20))
            try commit(store, next..<next + 1)
            next += 1
        }
        #expect(try store.ledger(pipeline: "p").count == next)
    }

    @Test func aWriterThatNeverPausesKeepsTheLogBounded() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStateStore(path: path)
        // Some 7,500 pages (30 MiB of log) if nothing checkpointed; the limit is 4,000 (16 MiB).
        try commit(store, 0..<1500)
        let logBytes = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue
        // The log is reused from its start after each restart, so its size is its high mark.
        #expect((logBytes ?? 0) < 20 << 20, "the log reached \(logBytes ?? 0) bytes")
        #expect(try store.ledger(pipeline: "p").count == 1500)
    }
}
