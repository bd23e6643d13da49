import Foundation
import GRDB
import GRDBSQLite

/// Copies a store's write-ahead log back into its database on a thread of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, and a
/// checkpoint writes pages and syncs the files: a claim that happened to cross it started its
/// run milliseconds late (the slowest 1 % of close→start latencies). Here the commit only
/// signals; a passive checkpoint, on a connection of this thread, runs beside the writer, which
/// SQLite's WAL mode allows, and never waits for readers.
///
/// The log restarts from its beginning only when a checkpoint has copied all of it before the
/// writer's next transaction, which a writer committing without pause (a large `reconcile`)
/// never leaves time for. Past `limit` pages the committing connection checkpoints itself, as
/// SQLite would, so the log stays bounded.
final class SQLiteCheckpointer: @unchecked Sendable {
    /// WAL pages after which a checkpoint is asked for (SQLite's own default threshold).
    static let threshold: CInt = 1000
    /// WAL pages after which the commit checkpoints itself (16 MiB of 4 KiB pages).
    static let limit: CInt = 4000

    private let path: String
    private let condition = NSCondition()
    private var requested = false
    private var stopped = false
    private var started = false

    init(path: String) {
        self.path = path
    }

    /// Replaces the writer's automatic checkpoint by a request to this checkpointer. `self` must
    /// outlive the connection's commits: the store holds both and stops this one last.
    func install(on db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, name, pages in
                if pages >= SQLiteCheckpointer.limit {
                    sqlite3_wal_checkpoint(connection, name)
                } else if pages >= SQLiteCheckpointer.threshold, let context {
                    Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue().request()
                }
                return SQLITE_OK
            },
            context
        )
    }

    /// Asks for a checkpoint; returns at once. The thread starts with the first request.
    func request() {
        condition.lock()
        defer { condition.unlock() }
        requested = true
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "sqlite-checkpoint"
            thread.start()
        }
        condition.signal()
    }

    /// Ends the thread; the last connection to close checkpoints what is left.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let connection = try? DatabaseQueue(path: path, configuration: configuration)
        while true {
            condition.lock()
            while !requested && !stopped { condition.wait() }
            let done = stopped
            requested = false
            condition.unlock()
            if done { return }
            _ = try? connection?.writeWithoutTransaction { try $0.checkpoint(.passive) }
            // Readers can keep a checkpoint from finishing, and then every commit asks again:
            // at most ten checkpoints a second.
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
