import Foundation
import GRDB
import Model

/// The embedded state store: one SQLite file in WAL mode (readers never block the writer),
/// versioned migrations, conditional updates for every ledger transition.
public final class SQLiteStateStore: StateStore {
    let database: DatabasePool
    public let path: String
    private let checkpointer: SQLiteCheckpointer

    /// Opens (creating if needed) the store at `path` and migrates it to the current schema.
    ///
    /// A file that exists but is empty is refused rather than taken for a new store, as it is
    /// more likely a store that was truncated (a full disk, a bad copy) than a wish to process
    /// every file again: `initialize` says it is the wish. The file is created private (0600),
    /// in a folder created private (0700); SQLite gives its WAL the same mode.
    public init(path: String, initialize: Bool = false) throws {
        let folder = PathResolution.directory(of: path)
        try PrivateFiles.makeDirectory(folder, restrictExisting: false)
        // Two processes opening a new store at once (two replicas' stat caches, `plan` beside a
        // starting daemon) would race: one could take the other's new file for a truncated one,
        // and both would find a migration unapplied, as GRDB checks outside the migration's
        // transaction. An exclusive flock on the store's folder makes the second wait, then find
        // nothing to do. The folder rather than the file: SQLite holds fcntl locks on the file
        // (on NFS, flock is emulated by them). A blocking call, once, at start.
        database = try PrivateFiles.withExclusiveLock(onDirectory: folder) {
            try Self.openAndMigrate(path, initialize: initialize)
        }
        self.path = path
        let checkpointer = SQLiteCheckpointer(path: path)
        database.writeWithoutTransaction { checkpointer.install(on: $0) }
        self.checkpointer = checkpointer
    }

    deinit { checkpointer.stop() }

    private static func openAndMigrate(_ path: String, initialize: Bool) throws -> DatabasePool {
        if !initialize, let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            (attributes[.size] as? NSNumber)?.int64Value == 0, attributes[.type] as? FileAttributeType == .typeRegular
        {
            throw StateStoreError.emptyDatabase(path: path)
        }
        if !FileManager.default.fileExists(atPath: path) {
            try PrivateFiles.create(path).close()
        }
        chmod(path, 0o600)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // WAL with synchronous=NORMAL: a commit survives a crash of the process, and the database
        // stays consistent on power loss. Outcomes that a file action depends on are committed
        // with synchronous=FULL (see `complete`), so nothing is moved or deleted before its
        // success is on disk.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let database = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(database)
        return database
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE applied_specs (
                        pipeline TEXT PRIMARY KEY, spec TEXT NOT NULL, file TEXT NOT NULL,
                        generation INTEGER NOT NULL, applied_at REAL NOT NULL);
                    CREATE TABLE ledger (
                        pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
                        first_seen REAL NOT NULL, last_seen REAL NOT NULL, path TEXT NOT NULL, next_attempt_at REAL,
                        last_exit_code INTEGER, last_signal INTEGER, last_error TEXT, succeeded_at REAL, succeeded_path TEXT,
                        owner TEXT, PRIMARY KEY (pipeline, sha256));
                    CREATE INDEX ledger_state ON ledger (pipeline, state);
                    CREATE TABLE observations (
                        pipeline TEXT NOT NULL, path TEXT NOT NULL, device INTEGER NOT NULL, inode INTEGER NOT NULL,
                        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 TEXT,
                        observed_at REAL NOT NULL, PRIMARY KEY (pipeline, path));
                    CREATE TABLE content_names (
                        pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL, first_seen REAL NOT NULL,
                        PRIMARY KEY (pipeline, sha256, path));
                    CREATE TABLE runs (
                        id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,
                        started_at REAL NOT NULL, ended_at REAL, outcome TEXT, process_group INTEGER, owner TEXT NOT NULL,
                        log_file TEXT NOT NULL, log_tail TEXT NOT NULL DEFAULT '');
                    CREATE INDEX runs_pipeline ON runs (pipeline, started_at);
                    """
            )
        }
        migrator.registerMigration("v2: pending file actions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE file_actions (
                        pipeline TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, action TEXT NOT NULL,
                        attempts INTEGER NOT NULL, last_error TEXT, created_at REAL NOT NULL, next_attempt_at REAL NOT NULL,
                        PRIMARY KEY (pipeline, path));
                    """
            )
        }
        registerConsoleMigration(&migrator)
        migrator.registerMigration("v4: leases") { db in
            try db.execute(sql: "ALTER TABLE ledger ADD COLUMN lease_until REAL")
        }
        // A claim counts the pipeline's running contents (its `concurrency` across processes).
        migrator.registerMigration("v5: running contents by pipeline") { db in
            try db.execute(sql: "CREATE INDEX ledger_running ON ledger (pipeline) WHERE state = 'running'")
        }
        // ... which `ledger_state (pipeline, state)` finds as well: one index less to write in the
        // commit that precedes each run's start and the one that follows its end.
        migrator.registerMigration("v6: running contents by ledger_state") { db in
            try db.execute(sql: "DROP INDEX ledger_running")
        }
        // The stat cache and the names of contents as tables clustered on their keys: a row
        // written is one page written, not a row page and a page of the key's index (two pages
        // less in the commit that precedes each run's start).
        migrator.registerMigration("v7: stat cache and content names without rowid") { db in
            try db.execute(
                sql: """
                    CREATE TABLE observations_v7 (
                        pipeline TEXT NOT NULL, path TEXT NOT NULL, device INTEGER NOT NULL, inode INTEGER NOT NULL,
                        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 TEXT,
                        observed_at REAL NOT NULL, PRIMARY KEY (pipeline, path)) WITHOUT ROWID;
                    INSERT INTO observations_v7
                        SELECT pipeline, path, device, inode, size, mtime_ns, ctime_ns, sha256, observed_at FROM observations;
                    DROP TABLE observations;
                    ALTER TABLE observations_v7 RENAME TO observations;
                    CREATE TABLE content_names_v7 (
                        pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL, first_seen REAL NOT NULL,
                        PRIMARY KEY (pipeline, sha256, path)) WITHOUT ROWID;
                    INSERT INTO content_names_v7 SELECT pipeline, sha256, path, first_seen FROM content_names;
                    DROP TABLE content_names;
                    ALTER TABLE content_names_v7 RENAME TO content_names;
                    """
            )
        }
        return migrator
    }

    // MARK: Applied specs

    public func appliedSpecs() throws -> [AppliedSpec] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM applied_specs ORDER BY pipeline").map { row in
                AppliedSpec(
                    pipeline: try JSONDecoder().decode(Pipeline.self, from: Data((row["spec"] as String).utf8)),
                    file: row["file"],
                    generation: row["generation"],
                    appliedAt: Date(timeIntervalSince1970: row["applied_at"])
                )
            }
        }
    }

    public func recordApplied(_ pipeline: Pipeline, file: String, at now: Date) throws -> AppliedSpec {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(pipeline), as: UTF8.self)
        return try database.write { db in
            let previous = try Row.fetchOne(
                db,
                sql: "SELECT spec, generation FROM applied_specs WHERE pipeline = ?",
                arguments: [pipeline.name]
            )
            var generation: Int = previous?["generation"] ?? 0
            let previousSpec: String? = previous?["spec"]
            if previousSpec != json { generation += 1 }
            try db.execute(
                sql: """
                    INSERT INTO applied_specs (pipeline, spec, file, generation, applied_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (pipeline) DO UPDATE SET spec = excluded.spec, file = excluded.file,
                        generation = excluded.generation, applied_at = excluded.applied_at
                    """,
                arguments: [pipeline.name, json, file, generation, now.timeIntervalSince1970]
            )
            return AppliedSpec(pipeline: pipeline, file: file, generation: generation, appliedAt: now)
        }
    }

    public func removeApplied(_ name: String) throws {
        try database.write { try $0.execute(sql: "DELETE FROM applied_specs WHERE pipeline = ?", arguments: [name]) }
    }

    // MARK: Observations

    /// A point read on the writer's connection (see `readByKey`).
    public func observation(pipeline: String, path: String) throws -> Observation? {
        try readByKey(statements: 1) { db in try SQLiteStateStore.observation(db, pipeline: pipeline, path: path) }
    }

    /// A read of a few rows by key, on the writer's connection rather than a reader's: the
    /// daemon's looks at a path come right after commits (the previous run's, the look's own),
    /// and a reader connection must then drop its page cache and read the pages again, where the
    /// connection that made the commit has them. Measured on a look at one new file: the stat-cache
    /// row 0.29 -> 0.15 ms, the ledger rows 0.10 -> 0.04 ms. Several statements share one
    /// transaction, so that their rows are read at one moment; a single statement is its own
    /// (an explicit BEGIN and COMMIT cost two more statements and two more file locks).
    private func readByKey<T>(statements: Int, _ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            if statements == 1 { return try body(db) }
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    private static func observation(_ db: Database, pipeline: String, path: String) throws -> Observation? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT path, device, inode, size, mtime_ns, ctime_ns, sha256, observed_at FROM observations WHERE pipeline = ? AND path = ?
                    """
            ),
            arguments: [pipeline, path]
        ).map { SQLiteStateStore.observation($0, pipeline: pipeline) }
    }

    public func observations(pipeline: String) throws -> [String: Observation] {
        try database.read { db in
            var result: [String: Observation] = [:]
            result.reserveCapacity(
                try Int.fetchOne(db, sql: "SELECT count(*) FROM observations WHERE pipeline = ?", arguments: [pipeline])
                    ?? 0
            )
            // Columns by position: this runs once per file of a folder, and name lookups add up.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT path, device, inode, size, mtime_ns, ctime_ns, sha256, observed_at FROM observations WHERE pipeline = ?
                    """,
                arguments: [pipeline]
            )
            while let row = try rows.next() {
                let observation = SQLiteStateStore.observation(row, pipeline: pipeline)
                result[observation.path] = observation
            }
            return result
        }
    }

    public func saveObservations(_ observations: [Observation], removing removed: [String], pipeline: String) throws {
        guard !observations.isEmpty || !removed.isEmpty else { return }
        try database.write { db in
            try SQLiteStateStore.saveObservations(db, observations, removing: removed, pipeline: pipeline)
        }
    }

    public func recordLook(
        pipeline: String,
        observations: [Observation],
        removing removed: [String],
        seen: [SeenContent],
        at now: Date
    ) throws {
        guard !observations.isEmpty || !removed.isEmpty || !seen.isEmpty else { return }
        try database.write { db in
            try SQLiteStateStore.saveObservations(db, observations, removing: removed, pipeline: pipeline)
            try SQLiteStateStore.recordSeen(db, pipeline: pipeline, contents: seen, at: now)
        }
    }

    private static func saveObservations(
        _ db: Database,
        _ observations: [Observation],
        removing removed: [String],
        pipeline: String
    ) throws {
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO observations (pipeline, path, device, inode, size, mtime_ns, ctime_ns, sha256, observed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (pipeline, path) DO UPDATE SET device = excluded.device, inode = excluded.inode, size = excluded.size,
                    mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, sha256 = excluded.sha256, observed_at = excluded.observed_at
                """
        )
        let name = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO content_names (pipeline, sha256, path, first_seen) VALUES (?, ?, ?, ?)"
        )
        for observation in observations {
            try upsert.execute(arguments: [
                pipeline, observation.path, Int64(bitPattern: observation.device),
                Int64(bitPattern: observation.inode),
                observation.size, observation.mtimeNs, observation.ctimeNs, observation.sha256,
                observation.observedAt.timeIntervalSince1970,
            ])
            if let sha = observation.sha256 {
                try name.execute(arguments: [
                    pipeline, sha, observation.path, observation.observedAt.timeIntervalSince1970,
                ])
            }
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM observations WHERE pipeline = ? AND path = ?")
        for path in removed { try delete.execute(arguments: [pipeline, path]) }
    }

    public func names(pipeline: String, sha256: String) throws -> [String] {
        try database.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT path FROM content_names WHERE pipeline = ? AND sha256 = ? ORDER BY first_seen, path",
                arguments: [pipeline, sha256]
            )
        }
    }

    // MARK: Ledger

    public func ledger(pipeline: String) throws -> [String: LedgerEntry] {
        try database.read { db in
            var result: [String: LedgerEntry] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE pipeline = ?",
                arguments: [pipeline]
            )
            while let row = try rows.next() {
                let entry = try SQLiteStateStore.entry(row)
                result[entry.sha256] = entry
            }
            return result
        }
    }

    public func ledger(pipeline: String, sha256s: Set<String>) throws -> [String: LedgerEntry] {
        guard !sha256s.isEmpty else { return [:] }
        return try readByKey(statements: sha256s.count) { db in
            let statement = try db.cachedStatement(
                sql: "SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE pipeline = ? AND sha256 = ?"
            )
            var result: [String: LedgerEntry] = [:]
            for sha in sha256s {
                if let row = try Row.fetchOne(statement, arguments: [pipeline, sha]) {
                    result[sha] = try SQLiteStateStore.entry(row)
                }
            }
            return result
        }
    }

    public func recordSeen(pipeline: String, contents: [SeenContent], at now: Date) throws {
        guard !contents.isEmpty else { return }
        try database.write { db in try SQLiteStateStore.recordSeen(db, pipeline: pipeline, contents: contents, at: now)
        }
    }

    private static func recordSeen(_ db: Database, pipeline: String, contents: [SeenContent], at now: Date) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO ledger (pipeline, sha256, state, attempts, first_seen, last_seen, path) VALUES (?, ?, 'pending', 0, ?, ?, ?)
                ON CONFLICT (pipeline, sha256) DO UPDATE SET last_seen = excluded.last_seen, path = excluded.path
                """
        )
        for content in contents {
            try statement.execute(arguments: [
                pipeline, content.sha256, now.timeIntervalSince1970, now.timeIntervalSince1970, content.path,
            ])
        }
    }

    public func claim(
        pipeline: String,
        sha256: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?,
        at now: Date
    ) throws -> LedgerEntry? {
        try database.write { db in
            try SQLiteStateStore.claim(
                db,
                pipeline: pipeline,
                sha256: sha256,
                owner: owner,
                run: run,
                lease: lease,
                concurrency: concurrency,
                at: now
            )
        }
    }

    /// One write transaction for all three.
    public func recordLook(
        _ look: LookRecord,
        thenClaim sha256: String,
        path: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?
    ) throws -> (entry: LedgerEntry, observed: Observation?)? {
        try database.write { db in
            let pipeline = look.pipeline
            try SQLiteStateStore.saveObservations(db, look.observations, removing: look.removed, pipeline: pipeline)
            try SQLiteStateStore.recordSeen(db, pipeline: pipeline, contents: look.seen, at: look.at)
            let claim = Claim(pipeline: look.pipeline, sha256: sha256, owner: owner, run: run, lease: lease)
            // The path's stat-cache row, when this look wrote it, is known without a read.
            return try SQLiteStateStore.claimObserving(
                db,
                claim,
                path: path,
                concurrency: concurrency,
                at: look.at,
                observed: look.observations.last { $0.path == path }
            )
        }
    }

    /// One write transaction for both: a read after the claim would take a transaction of its own.
    public func claimObserving(
        pipeline: String,
        sha256: String,
        path: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?,
        at now: Date
    ) throws -> (entry: LedgerEntry, observed: Observation?)? {
        try database.write { db in
            let claim = Claim(pipeline: pipeline, sha256: sha256, owner: owner, run: run, lease: lease)
            return try SQLiteStateStore.claimObserving(db, claim, path: path, concurrency: concurrency, at: now)
        }
    }

    /// Who claims what, for what run.
    private struct Claim {
        var pipeline: String
        var sha256: String
        var owner: String
        var run: RunRecord?
        var lease: TimeInterval?
    }

    private static func claimObserving(
        _ db: Database,
        _ claim: Claim,
        path: String,
        concurrency: Int?,
        at now: Date,
        observed known: Observation? = nil
    ) throws -> (entry: LedgerEntry, observed: Observation?)? {
        guard
            let entry = try SQLiteStateStore.claim(
                db,
                pipeline: claim.pipeline,
                sha256: claim.sha256,
                owner: claim.owner,
                run: claim.run,
                lease: claim.lease,
                concurrency: concurrency,
                at: now
            )
        else { return nil }
        return (entry, try known ?? SQLiteStateStore.observation(db, pipeline: claim.pipeline, path: path))
    }

    private static func claim(
        _ db: Database,
        pipeline: String,
        sha256: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?,
        at now: Date
    ) throws -> LedgerEntry? {
        // Inside the caller's write transaction, which serializes claims: read, decide
        // (`LedgerEntry.claimed`), write.
        if let concurrency {
            let others =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT COUNT(*) FROM ledger WHERE pipeline = ? AND state = 'running' AND sha256 <> ?
                                AND (lease_until IS NULL OR lease_until > ?)
                            """
                    ),
                    arguments: [pipeline, sha256, now.timeIntervalSince1970]
                ) ?? 0
            guard others < concurrency else { return nil }
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE pipeline = ? AND sha256 = ?"
                ),
                arguments: [pipeline, sha256]
            ),
            let entry = try SQLiteStateStore.entry(row).claimed(by: owner, at: now, lease: lease)
        else { return nil }
        try db.cachedStatement(
            sql: """
                UPDATE ledger SET state = 'running', owner = ?, attempts = ?, next_attempt_at = NULL, lease_until = ?
                WHERE pipeline = ? AND sha256 = ?
                """
        ).execute(arguments: [owner, entry.attempts, entry.leaseUntil?.timeIntervalSince1970, pipeline, sha256])
        if let run {
            try db.cachedStatement(
                sql: """
                    INSERT INTO runs (id, pipeline, sha256, path, started_at, process_group, owner, log_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                run.id, run.pipeline, run.sha256, run.path, run.startedAt.timeIntervalSince1970, run.processGroup,
                owner, run.logFile,
            ])
        }
        return entry
    }

    public func complete(
        pipeline: String,
        sha256: String,
        owner: String,
        run: (id: String, logTail: String)?,
        outcome: RunOutcome,
        policy: RetryPolicy,
        fileActions: (onSuccess: FileAction, onFailure: FileAction),
        jitter: Double,
        at now: Date
    ) throws -> LedgerEntry? {
        let update = { (db: Database) throws -> LedgerEntry? in
            let entry = try SQLiteStateStore.complete(
                db,
                pipeline: pipeline,
                sha256: sha256,
                owner: owner,
                outcome: outcome,
                policy: policy,
                jitter: jitter,
                at: now
            )
            if let run {
                // A run whose claim was lost meanwhile did not decide the content: interrupted.
                let recorded = entry == nil ? RunOutcome.interrupted : outcome
                try SQLiteStateStore.finishRun(db, id: run.id, outcome: recorded, endedAt: now, logTail: run.logTail)
            }
            if let entry,
                let action = PendingFileAction.owed(
                    by: entry.state,
                    onSuccess: fileActions.onSuccess,
                    onFailure: fileActions.onFailure
                )
            {
                // The path the run processed; without a run, the last path the content was seen under.
                let runPath = try run.flatMap {
                    try String.fetchOne(db, sql: "SELECT path FROM runs WHERE id = ?", arguments: [$0.id])
                }
                try SQLiteStateStore.save(
                    db,
                    PendingFileAction(
                        pipeline: pipeline,
                        path: runPath ?? entry.path,
                        sha256: sha256,
                        action: action,
                        createdAt: now
                    )
                )
            }
            return entry
        }
        let durable = (outcome.isSuccess ? fileActions.onSuccess : fileActions.onFailure) != .keep
        guard durable else { return try database.write(update) }
        return try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
            var entry: LedgerEntry?
            try db.inTransaction {
                entry = try update(db)
                return .commit
            }
            return entry
        }
    }

    private static func complete(
        _ db: Database,
        pipeline: String,
        sha256: String,
        owner: String,
        outcome: RunOutcome,
        policy: RetryPolicy,
        jitter: Double,
        at now: Date
    ) throws -> LedgerEntry? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql:
                        "SELECT \(ledgerColumns) FROM ledger WHERE pipeline = ? AND sha256 = ? AND state = 'running' AND owner = ?"
                ),
                arguments: [pipeline, sha256, owner]
            )
        else { return nil }
        guard
            let entry = try SQLiteStateStore.entry(row).completed(
                by: owner,
                outcome: outcome,
                policy: policy,
                jitter: jitter,
                at: now
            )
        else { return nil }
        try db.cachedStatement(
            sql: """
                UPDATE ledger SET state = ?, owner = NULL, attempts = ?, next_attempt_at = ?, last_exit_code = ?, last_signal = ?, last_error = ?,
                    succeeded_at = ?, succeeded_path = ?, lease_until = NULL
                WHERE pipeline = ? AND sha256 = ? AND state = 'running' AND owner = ?
                """
        ).execute(arguments: [
            entry.state.rawValue, entry.attempts, entry.nextAttemptAt?.timeIntervalSince1970, entry.lastExitCode,
            entry.lastSignal, entry.lastError,
            entry.succeededAt?.timeIntervalSince1970, entry.succeededPath, pipeline, sha256, owner,
        ])
        return entry
    }

    public func renewLease(pipeline: String, sha256: String, owner: String, until: Date) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql:
                    "UPDATE ledger SET lease_until = ? WHERE pipeline = ? AND sha256 = ? AND state = 'running' AND owner = ?",
                arguments: [until.timeIntervalSince1970, pipeline, sha256, owner]
            )
            return db.changesCount == 1
        }
    }

    public func claims() throws -> [LedgerEntry] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE state = 'running' ORDER BY pipeline, sha256"
            ).map(SQLiteStateStore.entry)
        }
    }

    public func retry(pipeline: String, sha256: String?, at now: Date) throws -> Int {
        try database.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE pipeline = ? AND state IN ('failed', 'quarantined') AND (? IS NULL OR sha256 = ?)
                    """,
                arguments: [pipeline, sha256, sha256]
            )
            let update = try db.cachedStatement(
                sql: "UPDATE ledger SET state = ?, next_attempt_at = ?, attempts = ? WHERE pipeline = ? AND sha256 = ?"
            )
            var count = 0
            for row in rows {
                guard let entry = try SQLiteStateStore.entry(row).retried(at: now) else { continue }
                try update.execute(arguments: [
                    entry.state.rawValue, entry.nextAttemptAt?.timeIntervalSince1970, entry.attempts, pipeline,
                    entry.sha256,
                ])
                count += 1
            }
            return count
        }
    }

    public func forget(pipeline: String, sha256: String) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM ledger WHERE pipeline = ? AND sha256 = ? AND state != 'running'",
                arguments: [pipeline, sha256]
            )
            let removed = db.changesCount == 1
            try db.execute(
                sql: "UPDATE observations SET sha256 = NULL WHERE pipeline = ? AND sha256 = ?",
                arguments: [pipeline, sha256]
            )
            return removed
        }
    }

    // MARK: File actions

    public func pendingFileActions(pipeline: String?) throws -> [PendingFileAction] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT pipeline, path, sha256, action, attempts, last_error, created_at, next_attempt_at FROM file_actions
                    WHERE ? IS NULL OR pipeline = ? ORDER BY created_at, pipeline, path
                    """,
                arguments: [pipeline, pipeline]
            ).map { row in
                PendingFileAction(
                    pipeline: row[0],
                    path: row[1],
                    sha256: row[2],
                    action: try JSONDecoder().decode(FileAction.self, from: Data((row[3] as String).utf8)),
                    attempts: row[4],
                    lastError: row[5],
                    createdAt: Date(timeIntervalSince1970: row[6]),
                    nextAttemptAt: Date(timeIntervalSince1970: row[7])
                )
            }
        }
    }

    public func saveFileAction(_ action: PendingFileAction) throws {
        try database.write { try SQLiteStateStore.save($0, action) }
    }

    private static func save(_ db: Database, _ action: PendingFileAction) throws {
        let json = String(decoding: try JSONEncoder().encode(action.action), as: UTF8.self)
        try db.cachedStatement(
            sql: """
                INSERT INTO file_actions (pipeline, path, sha256, action, attempts, last_error, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (pipeline, path) DO UPDATE SET sha256 = excluded.sha256, action = excluded.action, attempts = excluded.attempts,
                    last_error = excluded.last_error, created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at
                """
        ).execute(arguments: [
            action.pipeline, action.path, action.sha256, json, action.attempts, action.lastError,
            action.createdAt.timeIntervalSince1970, action.nextAttemptAt.timeIntervalSince1970,
        ])
    }

    public func finishFileAction(pipeline: String, path: String, fileLeft: Bool) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM file_actions WHERE pipeline = ? AND path = ?",
                arguments: [pipeline, path]
            )
            if fileLeft {
                try db.execute(
                    sql: "DELETE FROM observations WHERE pipeline = ? AND path = ?",
                    arguments: [pipeline, path]
                )
            }
        }
    }

    // MARK: Runs

    public func setProcessGroup(runID: String, _ group: Int32) throws {
        try database.write {
            try $0.cachedStatement(sql: "UPDATE runs SET process_group = ? WHERE id = ?").execute(arguments: [
                group, runID,
            ])
        }
    }

    public func finishRun(id: String, outcome: RunOutcome, endedAt: Date, logTail: String) throws {
        try database.write {
            try SQLiteStateStore.finishRun($0, id: id, outcome: outcome, endedAt: endedAt, logTail: logTail)
        }
    }

    private static func finishRun(
        _ db: Database,
        id: String,
        outcome: RunOutcome,
        endedAt: Date,
        logTail: String
    ) throws {
        let json = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
        try db.cachedStatement(sql: "UPDATE runs SET ended_at = ?, outcome = ?, log_tail = ? WHERE id = ?")
            .execute(arguments: [endedAt.timeIntervalSince1970, json, logTail, id])
    }

    public func runs(pipeline: String, limit: Int) throws -> [RunRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM runs WHERE pipeline = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                arguments: [pipeline, limit]
            )
            .map(SQLiteStateStore.run)
        }
    }

    public func unfinishedRuns() throws -> [(run: RunRecord, owner: String)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE ended_at IS NULL ORDER BY started_at").map {
                (SQLiteStateStore.run($0), $0["owner"])
            }
        }
    }

    // MARK: Rows

    /// The ledger's columns in the order `entry` reads them.
    static let ledgerColumns = """
        pipeline, sha256, state, attempts, first_seen, last_seen, path, next_attempt_at, last_exit_code, last_signal, last_error, \
        succeeded_at, succeeded_path, owner, lease_until
        """

    /// A ledger row. A state this version does not know (written by a newer one, or by hand) is
    /// an error: read as `pending`, it would make a finished content run again.
    static func entry(_ row: Row) throws(StateStoreError) -> LedgerEntry {
        let stateName: String = row[2]
        guard let state = LedgerState(rawValue: stateName) else {
            throw .unknownLedgerState(pipeline: row[0], sha256: row[1], state: stateName)
        }
        return LedgerEntry(
            pipeline: row[0],
            sha256: row[1],
            state: state,
            attempts: row[3],
            firstSeen: Date(timeIntervalSince1970: row[4]),
            lastSeen: Date(timeIntervalSince1970: row[5]),
            path: row[6],
            nextAttemptAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastExitCode: row[8],
            lastSignal: row[9],
            lastError: row[10],
            succeededAt: (row[11] as Double?).map(Date.init(timeIntervalSince1970:)),
            succeededPath: row[12],
            owner: row[13],
            leaseUntil: (row[14] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }

    /// A stat-cache row, read by column position (`path, device, inode, size, mtime_ns,
    /// ctime_ns, sha256, observed_at`): this runs once per file of a folder.
    private static func observation(_ row: Row, pipeline: String) -> Observation {
        Observation(
            pipeline: pipeline,
            path: row[0],
            device: UInt64(bitPattern: row[1]),
            inode: UInt64(bitPattern: row[2]),
            size: row[3],
            mtimeNs: row[4],
            ctimeNs: row[5],
            sha256: row[6],
            observedAt: Date(timeIntervalSince1970: row[7])
        )
    }

    private static func run(_ row: Row) -> RunRecord {
        let outcome = (row["outcome"] as String?).flatMap {
            try? JSONDecoder().decode(RunOutcome.self, from: Data($0.utf8))
        }
        return RunRecord(
            id: row["id"],
            pipeline: row["pipeline"],
            sha256: row["sha256"],
            path: row["path"],
            startedAt: Date(timeIntervalSince1970: row["started_at"]),
            endedAt: (row["ended_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            outcome: outcome,
            processGroup: row["process_group"],
            logFile: row["log_file"],
            logTail: row["log_tail"]
        )
    }
}
