import Foundation
import Model
import PostgresNIO

extension PostgresStateStore: StateStore {
    // MARK: Applied specs

    public func appliedSpecs() throws -> [AppliedSpec] {
        try withSession { session in
            try session.query("SELECT * FROM applied_specs ORDER BY pipeline").map { row in
                let r = row.makeRandomAccess()
                return AppliedSpec(
                    pipeline: try JSONDecoder().decode(Pipeline.self, from: Data(try r.string("spec").utf8)),
                    file: try r.string("file"),
                    generation: try r.int("generation"),
                    appliedAt: try r.date("applied_at")
                )
            }
        }
    }

    public func recordApplied(_ pipeline: Pipeline, file: String, at now: Date) throws -> AppliedSpec {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(pipeline), as: UTF8.self)
        let name = pipeline.name
        return try transaction { session in
            let previous = try session.query(
                "SELECT spec, generation FROM applied_specs WHERE pipeline = \(name) FOR UPDATE"
            ).first.map { $0.makeRandomAccess() }
            var generation = try previous?.int("generation") ?? 0
            if try previous?.string("spec") != json { generation += 1 }
            try session.query(
                """
                INSERT INTO applied_specs (pipeline, spec, file, generation, applied_at)
                VALUES (\(name), \(json), \(file), \(generation), \(now.timeIntervalSince1970))
                ON CONFLICT (pipeline) DO UPDATE SET spec = excluded.spec, file = excluded.file,
                    generation = excluded.generation, applied_at = excluded.applied_at
                """
            )
            return AppliedSpec(pipeline: pipeline, file: file, generation: generation, appliedAt: now)
        }
    }

    public func removeApplied(_ name: String) throws {
        try withSession { try $0.query("DELETE FROM applied_specs WHERE pipeline = \(name)") }
    }

    // MARK: Observations

    public func observations(pipeline: String) throws -> [String: Observation] {
        if let statCache { return try statCache.observations(pipeline: pipeline) }
        return try withSession { session in
            var result: [String: Observation] = [:]
            for row in try session.query("SELECT * FROM observations WHERE pipeline = \(pipeline)") {
                let observation = try Self.observation(row)
                result[observation.path] = observation
            }
            return result
        }
    }

    public func observation(pipeline: String, path: String) throws -> Observation? {
        if let statCache { return try statCache.observation(pipeline: pipeline, path: path) }
        return try withSession { session in
            try session.query("SELECT * FROM observations WHERE pipeline = \(pipeline) AND path = \(path)").first
                .map(Self.observation)
        }
    }

    /// Records the name a hashed content was seen under (shared: `ledger` lists every name).
    private static func saveName(_ session: Session, of observation: Observation, pipeline: String) throws {
        guard let sha = observation.sha256 else { return }
        try session.query(
            """
            INSERT INTO content_names (pipeline, sha256, path, first_seen)
            VALUES (\(pipeline), \(sha), \(observation.path), \(observation.observedAt.timeIntervalSince1970))
            ON CONFLICT DO NOTHING
            """
        )
    }

    public func saveObservations(_ observations: [Observation], removing removed: [String], pipeline: String) throws {
        guard !observations.isEmpty || !removed.isEmpty else { return }
        try transaction { session in
            for observation in observations {
                guard statCache == nil else {
                    try Self.saveName(session, of: observation, pipeline: pipeline)
                    continue
                }
                let device = Int64(bitPattern: observation.device)
                let inode = Int64(bitPattern: observation.inode)
                try session.query(
                    """
                    INSERT INTO observations (pipeline, path, device, inode, size, mtime_ns, ctime_ns, sha256, observed_at)
                    VALUES (\(pipeline), \(observation.path), \(device), \(inode), \(observation.size),
                        \(observation.mtimeNs), \(observation.ctimeNs), \(observation.sha256),
                        \(observation.observedAt.timeIntervalSince1970))
                    ON CONFLICT (pipeline, path) DO UPDATE SET device = excluded.device, inode = excluded.inode,
                        size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns,
                        sha256 = excluded.sha256, observed_at = excluded.observed_at
                    """
                )
                try Self.saveName(session, of: observation, pipeline: pipeline)
            }
            for path in removed where statCache == nil {
                try session.query("DELETE FROM observations WHERE pipeline = \(pipeline) AND path = \(path)")
            }
        }
        // After the shared names: killed in between, the local cache lacks the stat, so the file
        // is hashed and its name recorded again, rather than a name lost behind a cached stat.
        try statCache?.saveObservations(observations, removing: removed, pipeline: pipeline)
    }

    public func names(pipeline: String, sha256: String) throws -> [String] {
        try withSession { session in
            try session.query(
                """
                SELECT path FROM content_names WHERE pipeline = \(pipeline) AND sha256 = \(sha256)
                ORDER BY first_seen, path
                """
            ).map { try $0.decode(String.self) }
        }
    }

    // MARK: Ledger

    public func ledger(pipeline: String) throws -> [String: LedgerEntry] {
        try withSession { session in
            var result: [String: LedgerEntry] = [:]
            for row in try session.query("SELECT * FROM ledger WHERE pipeline = \(pipeline)") {
                let entry = try Self.entry(row)
                result[entry.sha256] = entry
            }
            return result
        }
    }

    public func ledger(pipeline: String, sha256s: Set<String>) throws -> [String: LedgerEntry] {
        guard !sha256s.isEmpty else { return [:] }
        let keys = Array(sha256s)
        return try withSession { session in
            var result: [String: LedgerEntry] = [:]
            for row in try session.query("SELECT * FROM ledger WHERE pipeline = \(pipeline) AND sha256 = ANY(\(keys))")
            {
                let entry = try Self.entry(row)
                result[entry.sha256] = entry
            }
            return result
        }
    }

    public func recordSeen(pipeline: String, contents: [SeenContent], at now: Date) throws {
        guard !contents.isEmpty else { return }
        let time = now.timeIntervalSince1970
        try transaction { session in
            var new: [String] = []
            for content in contents {
                // xmax is 0 for a row this statement inserted, not for one it updated.
                let inserted = try session.query(
                    """
                    INSERT INTO ledger (pipeline, sha256, state, attempts, first_seen, last_seen, path)
                    VALUES (\(pipeline), \(content.sha256), 'pending', 0, \(time), \(time), \(content.path))
                    ON CONFLICT (pipeline, sha256) DO UPDATE SET last_seen = excluded.last_seen, path = excluded.path
                    RETURNING (xmax = 0)
                    """
                ).first?.decode(Bool.self)
                if inserted == true { new.append(content.path) }
            }
            if !new.isEmpty { try notify(session, .seen(pipeline: pipeline, paths: new)) }
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
        try transaction { session in
            // The row lock serializes claims of one content: read, decide (`claimed`), write. With a
            // concurrency, the same statement takes the pipeline's advisory lock until commit, so
            // that claims of one pipeline take turns and the count below, a later statement, sees
            // every claim committed before this one.
            let lockKey = concurrency.map { _ in channel + "/" + pipeline }
            guard
                let row = try session.query(
                    """
                    SELECT *, CASE WHEN \(lockKey)::text IS NULL THEN NULL
                        ELSE pg_advisory_xact_lock(hashtext(\(lockKey)::text))::text END AS turn
                    FROM ledger WHERE pipeline = \(pipeline) AND sha256 = \(sha256) FOR UPDATE
                    """
                ).first,
                let entry = try Self.entry(row).claimed(by: owner, at: now, lease: lease)
            else { return nil }
            // One round trip: count the slots taken elsewhere, claim if one is free, record the run.
            let claimed = try session.query(
                """
                WITH taken AS (
                    SELECT COUNT(*) AS n FROM ledger
                    WHERE pipeline = \(pipeline) AND state = 'running' AND sha256 <> \(sha256)
                        AND (lease_until IS NULL OR lease_until > \(now.timeIntervalSince1970))
                ), claimed AS (
                    UPDATE ledger SET state = 'running', owner = \(owner), attempts = \(entry.attempts),
                        next_attempt_at = NULL, lease_until = \(entry.leaseUntil?.timeIntervalSince1970)
                    WHERE pipeline = \(pipeline) AND sha256 = \(sha256)
                        AND (\(concurrency)::bigint IS NULL OR (SELECT n FROM taken) < \(concurrency)::bigint)
                    RETURNING sha256
                ), recorded AS (
                    INSERT INTO runs (id, pipeline, sha256, path, started_at, process_group, owner, log_file)
                    SELECT \(run?.id)::text, \(run?.pipeline)::text, \(run?.sha256)::text, \(run?.path)::text,
                        \(run?.startedAt.timeIntervalSince1970)::double precision,
                        \(run?.processGroup.map(Int.init))::bigint, \(owner), \(run?.logFile)::text
                    FROM claimed WHERE \(run != nil)
                )
                SELECT COUNT(*) FROM claimed
                """
            ).first?.decode(Int.self)
            return claimed == 1 ? entry : nil
        }
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
        try transaction { session in
            let row = try session.query(
                """
                SELECT * FROM ledger WHERE pipeline = \(pipeline) AND sha256 = \(sha256) AND state = 'running'
                    AND owner = \(owner) FOR UPDATE
                """
            ).first
            let entry = try row.flatMap {
                try Self.entry($0).completed(by: owner, outcome: outcome, policy: policy, jitter: jitter, at: now)
            }
            guard let entry else {
                // A run whose claim was lost meanwhile did not decide the content: interrupted.
                if let run {
                    try Self.finishRun(session, id: run.id, outcome: .interrupted, endedAt: now, logTail: run.logTail)
                }
                return nil
            }
            // One round trip: the run's end, the ledger's new state, the notice, and the path the
            // run processed (the snapshot predates the updates, which do not change it).
            let runPath = try session.query(
                """
                WITH finished AS (
                    UPDATE runs SET ended_at = \(now.timeIntervalSince1970), outcome = \(try Self.encoded(outcome)),
                        log_tail = \(run?.logTail)::text
                    WHERE id = \(run?.id)::text
                ), settled AS (
                    UPDATE ledger SET state = \(entry.state.rawValue), owner = NULL, attempts = \(entry.attempts),
                        next_attempt_at = \(entry.nextAttemptAt?.timeIntervalSince1970),
                        last_exit_code = \(entry.lastExitCode), last_signal = \(entry.lastSignal),
                        last_error = \(entry.lastError), succeeded_at = \(entry.succeededAt?.timeIntervalSince1970),
                        succeeded_path = \(entry.succeededPath), lease_until = NULL
                    WHERE pipeline = \(pipeline) AND sha256 = \(sha256)
                )
                SELECT pg_notify(\(channel), \(try payload(.finished(pipeline: pipeline)))),
                    (SELECT path FROM runs WHERE id = \(run?.id)::text) AS path
                """
            ).first?.makeRandomAccess().optionalString("path")
            if let action = PendingFileAction.owed(
                by: entry.state,
                onSuccess: fileActions.onSuccess,
                onFailure: fileActions.onFailure
            ) {
                // The path the run processed; without a run, the last path the content was seen under.
                try Self.save(
                    session,
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
    }

    public func renewLease(pipeline: String, sha256: String, owner: String, until: Date) throws -> Bool {
        let time = until.timeIntervalSince1970
        return try withSession { session in
            try session.query(
                """
                UPDATE ledger SET lease_until = \(time)
                WHERE pipeline = \(pipeline) AND sha256 = \(sha256) AND state = 'running' AND owner = \(owner)
                RETURNING sha256
                """
            ).count == 1
        }
    }

    public func claims() throws -> [LedgerEntry] {
        try withSession { session in
            try session.query("SELECT * FROM ledger WHERE state = 'running' ORDER BY pipeline, sha256").map(Self.entry)
        }
    }

    public func retry(pipeline: String, sha256: String?, at now: Date) throws -> Int {
        try transaction { session in
            let rows = try session.query(
                """
                SELECT * FROM ledger WHERE pipeline = \(pipeline) AND state IN ('failed', 'quarantined')
                    AND (\(sha256)::TEXT IS NULL OR sha256 = \(sha256)) FOR UPDATE
                """
            )
            var count = 0
            for row in rows {
                guard let entry = try Self.entry(row).retried(at: now) else { continue }
                try session.query(
                    """
                    UPDATE ledger SET state = \(entry.state.rawValue), next_attempt_at = \(entry.nextAttemptAt?.timeIntervalSince1970),
                        attempts = \(entry.attempts)
                    WHERE pipeline = \(pipeline) AND sha256 = \(entry.sha256)
                    """
                )
                count += 1
            }
            return count
        }
    }

    public func forget(pipeline: String, sha256: String) throws -> Bool {
        try transaction { session in
            let removed = try session.query(
                "DELETE FROM ledger WHERE pipeline = \(pipeline) AND sha256 = \(sha256) AND state != 'running' RETURNING sha256"
            )
            try session.query(
                "UPDATE observations SET sha256 = NULL WHERE pipeline = \(pipeline) AND sha256 = \(sha256)"
            )
            return removed.count == 1
        }
    }

    // MARK: File actions

    public func pendingFileActions(pipeline: String?) throws -> [PendingFileAction] {
        try withSession { session in
            try session.query(
                """
                SELECT * FROM file_actions WHERE \(pipeline)::TEXT IS NULL OR pipeline = \(pipeline)
                ORDER BY created_at, pipeline, path
                """
            ).map { row in
                let r = row.makeRandomAccess()
                return PendingFileAction(
                    pipeline: try r.string("pipeline"),
                    path: try r.string("path"),
                    sha256: try r.string("sha256"),
                    action: try JSONDecoder().decode(FileAction.self, from: Data(try r.string("action").utf8)),
                    attempts: try r.int("attempts"),
                    lastError: try r.optionalString("last_error"),
                    createdAt: try r.date("created_at"),
                    nextAttemptAt: try r.date("next_attempt_at")
                )
            }
        }
    }

    public func saveFileAction(_ action: PendingFileAction) throws {
        try withSession { try Self.save($0, action) }
    }

    static func save(_ session: Session, _ action: PendingFileAction) throws {
        let json = String(decoding: try JSONEncoder().encode(action.action), as: UTF8.self)
        try session.query(
            """
            INSERT INTO file_actions (pipeline, path, sha256, action, attempts, last_error, created_at, next_attempt_at)
            VALUES (\(action.pipeline), \(action.path), \(action.sha256), \(json), \(action.attempts), \(action.lastError),
                \(action.createdAt.timeIntervalSince1970), \(action.nextAttemptAt.timeIntervalSince1970))
            ON CONFLICT (pipeline, path) DO UPDATE SET sha256 = excluded.sha256, action = excluded.action,
                attempts = excluded.attempts, last_error = excluded.last_error, created_at = excluded.created_at,
                next_attempt_at = excluded.next_attempt_at
            """
        )
    }

    public func finishFileAction(pipeline: String, path: String, fileLeft: Bool) throws {
        try transaction { session in
            try session.query("DELETE FROM file_actions WHERE pipeline = \(pipeline) AND path = \(path)")
            if fileLeft {
                try session.query("DELETE FROM observations WHERE pipeline = \(pipeline) AND path = \(path)")
            }
        }
    }

    // MARK: Runs

    public func setProcessGroup(runID: String, _ group: Int32) throws {
        let value = Int(group)
        try withSession { try $0.query("UPDATE runs SET process_group = \(value) WHERE id = \(runID)") }
    }

    public func finishRun(id: String, outcome: RunOutcome, endedAt: Date, logTail: String) throws {
        try withSession { try Self.finishRun($0, id: id, outcome: outcome, endedAt: endedAt, logTail: logTail) }
    }

    static func finishRun(_ session: Session, id: String, outcome: RunOutcome, endedAt: Date, logTail: String) throws {
        try session.query(
            """
            UPDATE runs SET ended_at = \(endedAt.timeIntervalSince1970), outcome = \(try encoded(outcome)),
                log_tail = \(logTail)
            WHERE id = \(id)
            """
        )
    }

    /// An outcome as the `runs.outcome` column holds it.
    static func encoded(_ outcome: RunOutcome) throws -> String {
        String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
    }

    public func runs(pipeline: String, limit: Int) throws -> [RunRecord] {
        try withSession { session in
            try session.query(
                "SELECT * FROM runs WHERE pipeline = \(pipeline) ORDER BY started_at DESC, id DESC LIMIT \(limit)"
            ).map(Self.run)
        }
    }

    public func unfinishedRuns() throws -> [(run: RunRecord, owner: String)] {
        try withSession { session in
            try session.query("SELECT * FROM runs WHERE ended_at IS NULL ORDER BY started_at").map {
                (try Self.run($0), try $0.makeRandomAccess().string("owner"))
            }
        }
    }

    // MARK: Rows

    /// A ledger row; an unknown state is an error, never read as `pending` (see SQLite's).
    static func entry(_ row: PostgresRow) throws -> LedgerEntry {
        let r = row.makeRandomAccess()
        let stateName = try r.string("state")
        guard let state = LedgerState(rawValue: stateName) else {
            throw StateStoreError.unknownLedgerState(
                pipeline: try r.string("pipeline"),
                sha256: try r.string("sha256"),
                state: stateName
            )
        }
        return LedgerEntry(
            pipeline: try r.string("pipeline"),
            sha256: try r.string("sha256"),
            state: state,
            attempts: try r.int("attempts"),
            firstSeen: try r.date("first_seen"),
            lastSeen: try r.date("last_seen"),
            path: try r.string("path"),
            nextAttemptAt: try r.optionalDate("next_attempt_at"),
            lastExitCode: try r.optionalInt("last_exit_code"),
            lastSignal: try r.optionalInt("last_signal"),
            lastError: try r.optionalString("last_error"),
            succeededAt: try r.optionalDate("succeeded_at"),
            succeededPath: try r.optionalString("succeeded_path"),
            owner: try r.optionalString("owner"),
            leaseUntil: try r.optionalDate("lease_until")
        )
    }

    static func observation(_ row: PostgresRow) throws -> Observation {
        let r = row.makeRandomAccess()
        return Observation(
            pipeline: try r.string("pipeline"),
            path: try r.string("path"),
            device: UInt64(bitPattern: Int64(try r.int("device"))),
            inode: UInt64(bitPattern: Int64(try r.int("inode"))),
            size: Int64(try r.int("size")),
            mtimeNs: Int64(try r.int("mtime_ns")),
            ctimeNs: Int64(try r.int("ctime_ns")),
            sha256: try r.optionalString("sha256"),
            observedAt: try r.date("observed_at")
        )
    }

    static func run(_ row: PostgresRow) throws -> RunRecord {
        let r = row.makeRandomAccess()
        let outcome = try r.optionalString("outcome").flatMap {
            try? JSONDecoder().decode(RunOutcome.self, from: Data($0.utf8))
        }
        return RunRecord(
            id: try r.string("id"),
            pipeline: try r.string("pipeline"),
            sha256: try r.string("sha256"),
            path: try r.string("path"),
            startedAt: try r.date("started_at"),
            endedAt: try r.optionalDate("ended_at"),
            outcome: outcome,
            processGroup: try r.optionalInt("process_group").map(Int32.init),
            logFile: try r.string("log_file"),
            logTail: try r.string("log_tail")
        )
    }
}
