import PostgresNIO

/// The PostgreSQL schema, as versioned migrations: the same tables as SQLite's, applied in
/// order, each once, under an advisory lock (two replicas starting at the same moment on an
/// empty database: one migrates, the other waits, then finds nothing to do).
enum PostgresMigrations {
    /// The advisory lock's key: "orch" in ASCII.
    static let lockKey = 0x6f72_6368

    static let all: [(name: String, sql: [String])] = [
        (
            "v1",
            [
                """
                CREATE TABLE applied_specs (pipeline TEXT PRIMARY KEY, spec TEXT NOT NULL, file TEXT NOT NULL,
                    generation BIGINT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE ledger (pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL,
                    attempts BIGINT NOT NULL, first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL,
                    path TEXT NOT NULL, next_attempt_at DOUBLE PRECISION, last_exit_code BIGINT, last_signal BIGINT,
                    last_error TEXT, succeeded_at DOUBLE PRECISION, succeeded_path TEXT, owner TEXT,
                    PRIMARY KEY (pipeline, sha256))
                """,
                "CREATE INDEX ledger_state ON ledger (pipeline, state)",
                """
                CREATE TABLE observations (pipeline TEXT NOT NULL, path TEXT NOT NULL, device BIGINT NOT NULL,
                    inode BIGINT NOT NULL, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, ctime_ns BIGINT NOT NULL,
                    sha256 TEXT, observed_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (pipeline, path))
                """,
                """
                CREATE TABLE content_names (pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,
                    first_seen DOUBLE PRECISION NOT NULL, PRIMARY KEY (pipeline, sha256, path))
                """,
                """
                CREATE TABLE runs (id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION, outcome TEXT, process_group BIGINT,
                    owner TEXT NOT NULL, log_file TEXT NOT NULL, log_tail TEXT NOT NULL DEFAULT '')
                """,
                "CREATE INDEX runs_pipeline ON runs (pipeline, started_at)",
            ]
        ),
        (
            "v2: pending file actions",
            [
                """
                CREATE TABLE file_actions (pipeline TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
                    action TEXT NOT NULL, attempts BIGINT NOT NULL, last_error TEXT, created_at DOUBLE PRECISION NOT NULL,
                    next_attempt_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (pipeline, path))
                """
            ]
        ),
        (
            "v3: database pipelines, users, audit",
            [
                """
                CREATE TABLE stored_pipelines (name TEXT NOT NULL, version BIGINT NOT NULL, text TEXT NOT NULL,
                    author TEXT NOT NULL, saved_at DOUBLE PRECISION NOT NULL, deleted BOOLEAN NOT NULL,
                    PRIMARY KEY (name, version))
                """,
                """
                CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                    grants TEXT NOT NULL DEFAULT '')
                """,
                """
                CREATE TABLE audit (id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, "user" TEXT NOT NULL,
                    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL)
                """,
                "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE INDEX ledger_last_seen ON ledger (pipeline, last_seen, sha256)",
                """
                CREATE TABLE suspensions (name TEXT PRIMARY KEY, author TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)
                """,
                "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            ]
        ),
        ("v4: leases", ["ALTER TABLE ledger ADD COLUMN lease_until DOUBLE PRECISION"]),
        // A claim counts the pipeline's running contents (its `concurrency` across replicas).
        (
            "v5: running contents by pipeline",
            ["CREATE INDEX ledger_running ON ledger (pipeline) WHERE state = 'running'"]
        ),
    ]

    static func migrate(_ session: PostgresStateStore.Session) throws {
        try session.query("SELECT pg_advisory_lock(\(lockKey))", waitingLong: true)
        defer { _ = try? session.query("SELECT pg_advisory_unlock(\(lockKey))") }
        try session.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        )
        let done = Set(try session.query("SELECT name FROM schema_migrations").map { try $0.decode(String.self) })
        for migration in all where !done.contains(migration.name) {
            try session.transaction {
                for statement in migration.sql {
                    try session.query(PostgresQuery(unsafeSQL: statement), waitingLong: true)
                }
                try session.query("INSERT INTO schema_migrations VALUES (\(migration.name), now())")
            }
        }
    }
}
