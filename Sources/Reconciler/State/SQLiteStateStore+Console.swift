import Foundation
import GRDB
import Model

extension SQLiteStateStore: ConsoleStore {
    static func registerConsoleMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3: database pipelines, users, audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stored_pipelines (
                        name TEXT NOT NULL, version INTEGER NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL,
                        saved_at REAL NOT NULL, deleted INTEGER NOT NULL, PRIMARY KEY (name, version));
                    CREATE TABLE users (
                        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                        grants TEXT NOT NULL DEFAULT '');
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user TEXT NOT NULL,
                        action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
                    CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE INDEX ledger_last_seen ON ledger (pipeline, last_seen, sha256);
                    CREATE TABLE suspensions (name TEXT PRIMARY KEY, author TEXT NOT NULL, at REAL NOT NULL);
                    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    """
            )
        }
    }

    // MARK: Database pipelines

    public func storedPipelines() throws -> [StoredPipeline] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.* FROM stored_pipelines s
                    JOIN (SELECT name, MAX(version) AS version FROM stored_pipelines GROUP BY name) latest
                      ON latest.name = s.name AND latest.version = s.version
                    WHERE s.deleted = 0 ORDER BY s.name
                    """
            ).map(Self.storedPipeline)
        }
    }

    public func pipelineHistory(_ name: String) throws -> [StoredPipeline] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM stored_pipelines WHERE name = ? ORDER BY version",
                arguments: [name]
            ).map(Self.storedPipeline)
        }
    }

    public func savePipeline(
        name: String,
        text: String,
        author: String,
        basedOn: Int?,
        at now: Date
    ) throws -> StoredPipeline {
        try append(name: name, text: text, author: author, deleted: false, basedOn: basedOn, at: now)
    }

    public func deletePipeline(name: String, author: String, basedOn: Int?, at now: Date) throws -> StoredPipeline {
        try append(name: name, text: "", author: author, deleted: true, basedOn: basedOn, at: now)
    }

    private func append(
        name: String,
        text: String,
        author: String,
        deleted: Bool,
        basedOn: Int?,
        at now: Date
    ) throws -> StoredPipeline {
        try database.write { db in
            let latest = try Row.fetchOne(
                db,
                sql: "SELECT version, deleted FROM stored_pipelines WHERE name = ? ORDER BY version DESC LIMIT 1",
                arguments: [name]
            )
            let stored = try StoredPipeline.next(
                name: name,
                text: text,
                author: author,
                deleted: deleted,
                basedOn: basedOn,
                latest: latest.map { (version: $0["version"], deleted: ($0["deleted"] as Int) != 0) },
                at: now
            )
            try db.execute(
                sql: "INSERT INTO stored_pipelines VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [name, stored.version, text, author, now.timeIntervalSince1970, deleted ? 1 : 0]
            )
            try Self.bumpRevision(db)
            return stored
        }
    }

    public func pipelinesRevision() throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'pipelines'") ?? 0
        }
    }

    private static func bumpRevision(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO counters VALUES ('pipelines', 1)
                ON CONFLICT (name) DO UPDATE SET value = value + 1
                """
        )
    }

    public func suspensions() throws -> [String: String] {
        try database.read { db in
            Dictionary(
                try Row.fetchAll(db, sql: "SELECT name, author FROM suspensions").map { ($0["name"], $0["author"]) },
                uniquingKeysWith: { first, _ in first }
            )
        }
    }

    public func setSuspended(_ name: String, _ suspended: Bool, author: String, at now: Date) throws -> Bool {
        try database.write { db in
            if suspended {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO suspensions VALUES (?, ?, ?)",
                    arguments: [name, author, now.timeIntervalSince1970]
                )
            } else {
                try db.execute(sql: "DELETE FROM suspensions WHERE name = ?", arguments: [name])
            }
            let changed = db.changesCount == 1
            if changed { try Self.bumpRevision(db) }
            return changed
        }
    }

    private static func storedPipeline(_ row: Row) -> StoredPipeline {
        StoredPipeline(
            name: row["name"],
            version: row["version"],
            text: row["text"],
            author: row["author"],
            savedAt: Date(timeIntervalSince1970: row["saved_at"]),
            deleted: (row["deleted"] as Int) != 0
        )
    }

    // MARK: Users

    public func users() throws -> [UserAccount] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").compactMap(Self.user)
        }
    }

    public func user(named name: String) throws -> UserAccount? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).flatMap(Self.user)
        }
    }

    public func saveUser(_ user: UserAccount) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
                arguments: [
                    user.name, user.role.rawValue, user.passwordHash, user.grants.sorted().joined(separator: ","),
                ]
            )
        }
    }

    public func removeUser(_ name: String) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "DELETE FROM users WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    private static func user(_ row: Row) -> UserAccount? {
        guard let role = Role(rawValue: row["role"]) else { return nil }
        let grants = (row["grants"] as String).split(separator: ",").map(String.init)
        return UserAccount(name: row["name"], role: role, passwordHash: row["password_hash"], grants: Set(grants))
    }

    // MARK: Ledger pages

    public func ledgerPage(
        pipeline: String,
        search: String?,
        state: LedgerState?,
        offset: Int,
        limit: Int
    ) throws -> LedgerPage {
        // Rows are chosen on indexes, then fetched: a deep page skips index entries, not table
        // rows. A search reads the names once (never once per content) and, when it looks like
        // a hash prefix, is also a range on the primary key.
        let searched = search.flatMap { $0.isEmpty ? nil : $0 }
        let hexPrefix = searched.map { $0.lowercased() }.flatMap {
            $0.count >= 4 && $0.allSatisfy { $0.isASCII && $0.isHexDigit } ? $0 : nil
        }
        var conditions = ["pipeline = ?"]
        if state != nil { conditions.append("state = ?") }
        if searched != nil {
            conditions.append(
                "(sha256 IN (SELECT value FROM json_each(?))"
                    + (hexPrefix != nil ? " OR (sha256 >= ? AND sha256 < ?))" : ")")
            )
        }
        let filter = conditions.joined(separator: " AND ")
        return try database.read { db in
            var values: [(any DatabaseValueConvertible)?] = [pipeline]
            if let state { values.append(state.rawValue) }
            if let searched {
                let pattern =
                    "%"
                    + searched.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                let named = try String.fetchAll(
                    db,
                    sql: "SELECT DISTINCT sha256 FROM content_names WHERE pipeline = ? AND path LIKE ? ESCAPE '\\'",
                    arguments: [pipeline, pattern]
                )
                values.append(String(decoding: try JSONEncoder().encode(named), as: UTF8.self))
                if let hexPrefix { values += [hexPrefix, hexPrefix + "g"] }
            }
            let total =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM ledger WHERE \(filter)",
                    arguments: StatementArguments(values)
                )
                ?? 0
            let entries = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SQLiteStateStore.ledgerColumns) FROM ledger WHERE rowid IN (
                      SELECT rowid FROM ledger WHERE \(filter) ORDER BY last_seen DESC, sha256 DESC LIMIT ? OFFSET ?)
                    ORDER BY last_seen DESC, sha256 DESC
                    """,
                arguments: StatementArguments(values + [limit, offset])
            ).map(SQLiteStateStore.entry)
            return LedgerPage(total: total, entries: entries)
        }
    }

    public func ledgerCounts(pipeline: String) throws -> [LedgerState: Int] {
        try database.read { db in
            var counts: [LedgerState: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT state, COUNT(*) AS count FROM ledger WHERE pipeline = ? GROUP BY state",
                arguments: [pipeline]
            ) {
                if let state = LedgerState(rawValue: row["state"]) { counts[state] = row["count"] }
            }
            return counts
        }
    }

    // MARK: Audit

    public func appendAudit(_ event: AuditEvent) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    event.at.timeIntervalSince1970, event.user, event.action.rawValue, event.target, event.detail,
                ]
            )
        }
    }

    public func audit(limit: Int) throws -> [AuditEvent] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit]).compactMap {
                row in
                guard let action = AuditEvent.Action(rawValue: row["action"]) else { return nil }
                return AuditEvent(
                    id: row["id"],
                    at: Date(timeIntervalSince1970: row["at"]),
                    user: row["user"],
                    action: action,
                    target: row["target"],
                    detail: row["detail"]
                )
            }
        }
    }

    // MARK: Secrets

    public func serverSecret(_ name: String, create: () -> String) throws -> String {
        try database.write { db in
            if let value = try String.fetchOne(
                db,
                sql: "SELECT value FROM server_secrets WHERE name = ?",
                arguments: [name]
            ) {
                return value
            }
            let value = create()
            try db.execute(sql: "INSERT INTO server_secrets VALUES (?, ?)", arguments: [name, value])
            return value
        }
    }
}
