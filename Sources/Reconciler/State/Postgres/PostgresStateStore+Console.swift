import Foundation
import Model
import PostgresNIO

extension PostgresStateStore: ConsoleStore {
    // MARK: Database pipelines

    public func storedPipelines() throws -> [StoredPipeline] {
        try withSession { session in
            try session.query(
                """
                SELECT DISTINCT ON (name) * FROM stored_pipelines ORDER BY name, version DESC
                """
            ).map(Self.storedPipeline).filter { !$0.deleted }
        }
    }

    public func pipelineHistory(_ name: String) throws -> [StoredPipeline] {
        try withSession { session in
            try session.query("SELECT * FROM stored_pipelines WHERE name = \(name) ORDER BY version").map(
                Self.storedPipeline
            )
        }
    }

    public func savePipeline(
        name: String,
        text: String,
        author: String,
        basedOn: Int?,
        at now: Date
    ) throws
        -> StoredPipeline
    {
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
        try transaction { session in
            // Versions of one name are appended one at a time, whichever replica saves.
            try session.query("SELECT pg_advisory_xact_lock(hashtext(\(name)))")
            let latest = try session.query(
                "SELECT version, deleted FROM stored_pipelines WHERE name = \(name) ORDER BY version DESC LIMIT 1"
            ).first.map { $0.makeRandomAccess() }
            let stored = try StoredPipeline.next(
                name: name,
                text: text,
                author: author,
                deleted: deleted,
                basedOn: basedOn,
                latest: try latest.map {
                    (version: try $0.int("version"), deleted: try $0["deleted"].decode(Bool.self))
                },
                at: now
            )
            try session.query(
                """
                INSERT INTO stored_pipelines VALUES (\(name), \(stored.version), \(text), \(author),
                    \(now.timeIntervalSince1970), \(deleted))
                """
            )
            try bumpRevision(session)
            return stored
        }
    }

    public func pipelinesRevision() throws -> Int {
        try withSession { session in
            try session.query("SELECT value FROM counters WHERE name = 'pipelines'").first?.decode(Int.self) ?? 0
        }
    }

    /// Counts a change of the database pipelines or suspensions, and announces it.
    func bumpRevision(_ session: Session) throws {
        try session.query(
            """
            INSERT INTO counters VALUES ('pipelines', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
            """
        )
        try notify(session, .pipelinesChanged)
    }

    public func suspensions() throws -> [String: String] {
        try withSession { session in
            var result: [String: String] = [:]
            for row in try session.query("SELECT name, author FROM suspensions") {
                let (name, author) = try row.decode((String, String).self)
                result[name] = author
            }
            return result
        }
    }

    public func setSuspended(_ name: String, _ suspended: Bool, author: String, at now: Date) throws -> Bool {
        try transaction { session in
            let changed =
                suspended
                ? try session.query(
                    """
                    INSERT INTO suspensions VALUES (\(name), \(author), \(now.timeIntervalSince1970))
                    ON CONFLICT DO NOTHING RETURNING name
                    """
                ).count == 1
                : try session.query("DELETE FROM suspensions WHERE name = \(name) RETURNING name").count == 1
            if changed { try bumpRevision(session) }
            return changed
        }
    }

    private static func storedPipeline(_ row: PostgresRow) throws -> StoredPipeline {
        let r = row.makeRandomAccess()
        return StoredPipeline(
            name: try r.string("name"),
            version: try r.int("version"),
            text: try r.string("text"),
            author: try r.string("author"),
            savedAt: try r.date("saved_at"),
            deleted: try r["deleted"].decode(Bool.self)
        )
    }

    // MARK: Users

    public func users() throws -> [UserAccount] {
        try withSession { session in
            try session.query("SELECT * FROM users ORDER BY name").compactMap(Self.user)
        }
    }

    public func user(named name: String) throws -> UserAccount? {
        try withSession { session in
            try session.query("SELECT * FROM users WHERE name = \(name)").first.flatMap(Self.user)
        }
    }

    public func saveUser(_ user: UserAccount) throws {
        let grants = user.grants.sorted().joined(separator: ",")
        try withSession { session in
            try session.query(
                """
                INSERT INTO users VALUES (\(user.name), \(user.role.rawValue), \(user.passwordHash), \(grants))
                ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                    grants = excluded.grants
                """
            )
        }
    }

    public func removeUser(_ name: String) throws -> Bool {
        try withSession { try $0.query("DELETE FROM users WHERE name = \(name) RETURNING name").count == 1 }
    }

    private static func user(_ row: PostgresRow) throws -> UserAccount? {
        let r = row.makeRandomAccess()
        guard let role = Role(rawValue: try r.string("role")) else { return nil }
        let grants = try r.string("grants").split(separator: ",").map(String.init)
        return UserAccount(
            name: try r.string("name"),
            role: role,
            passwordHash: try r.string("password_hash"),
            grants: Set(grants)
        )
    }

    // MARK: Ledger pages

    public func ledgerPage(
        pipeline: String,
        search: String?,
        state: LedgerState?,
        offset: Int,
        limit: Int
    ) throws
        -> LedgerPage
    {
        let searched = search.flatMap { $0.isEmpty ? nil : $0 }
        let hexPrefix = searched.map { $0.lowercased() }.flatMap {
            $0.count >= 4 && $0.allSatisfy { $0.isASCII && $0.isHexDigit } ? $0 : nil
        }
        let pattern = searched.map {
            "%"
                + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
        }
        let stateName = state?.rawValue
        let filter: PostgresQuery = """
            pipeline = \(pipeline) AND (\(stateName)::TEXT IS NULL OR state = \(stateName))
            AND (\(pattern)::TEXT IS NULL
                OR sha256 IN (SELECT sha256 FROM content_names WHERE pipeline = \(pipeline) AND path ILIKE \(pattern))
                OR (\(hexPrefix)::TEXT IS NOT NULL AND sha256 LIKE \(hexPrefix.map { $0 + "%" })))
            """
        return try withSession { session in
            let total =
                try session.query(Self.appending("SELECT COUNT(*) FROM ledger WHERE ", filter, "")).first?
                .decode(Int.self) ?? 0
            let entries = try session.query(
                Self.appending(
                    "SELECT * FROM ledger WHERE ",
                    filter,
                    " ORDER BY last_seen DESC, sha256 DESC LIMIT \(limit) OFFSET \(offset)"
                )
            ).map(Self.entry)
            return LedgerPage(total: total, entries: entries)
        }
    }

    /// `prefix` + `query` + `suffix` (plain SQL text around a query with binds).
    private static func appending(_ prefix: String, _ query: PostgresQuery, _ suffix: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: prefix + query.sql + suffix, binds: query.binds)
    }

    public func ledgerCounts(pipeline: String) throws -> [LedgerState: Int] {
        try withSession { session in
            var counts: [LedgerState: Int] = [:]
            for row in try session.query(
                "SELECT state, COUNT(*) FROM ledger WHERE pipeline = \(pipeline) GROUP BY state"
            ) {
                let (state, count) = try row.decode((String, Int).self)
                if let known = LedgerState(rawValue: state) { counts[known] = count }
            }
            return counts
        }
    }

    // MARK: Audit

    public func appendAudit(_ event: AuditEvent) throws {
        try withSession { session in
            try session.query(
                """
                INSERT INTO audit (at, "user", action, target, detail) VALUES (\(event.at.timeIntervalSince1970),
                    \(event.user), \(event.action.rawValue), \(event.target), \(event.detail))
                """
            )
        }
    }

    public func audit(limit: Int) throws -> [AuditEvent] {
        try withSession { session in
            try session.query("SELECT * FROM audit ORDER BY id DESC LIMIT \(limit)").compactMap { row in
                let r = row.makeRandomAccess()
                guard let action = AuditEvent.Action(rawValue: try r.string("action")) else { return nil }
                return AuditEvent(
                    id: Int64(try r.int("id")),
                    at: try r.date("at"),
                    user: try r.string("user"),
                    action: action,
                    target: try r.string("target"),
                    detail: try r.string("detail")
                )
            }
        }
    }

    // MARK: Secrets

    public func serverSecret(_ name: String, create: () -> String) throws -> String {
        let candidate = create()
        return try withSession { session in
            // The first replica's value wins; the others read it.
            try session.query("INSERT INTO server_secrets VALUES (\(name), \(candidate)) ON CONFLICT DO NOTHING")
            return try session.query("SELECT value FROM server_secrets WHERE name = \(name)").first?.decode(String.self)
                ?? candidate
        }
    }
}
