import Foundation
import Model

/// What a state store finds wrong with what it reads.
public enum StateStoreError: Error, Equatable, CustomStringConvertible {
    /// A ledger row whose state this version does not know.
    case unknownLedgerState(pipeline: String, sha256: String, state: String)
    /// A state database file of 0 bytes.
    case emptyDatabase(path: String)

    public var description: String {
        switch self {
        case .unknownLedgerState(let pipeline, let sha256, let state):
            return
                "the ledger row of \(pipeline)/sha256:\(sha256.prefix(12)) has the unknown state \"\(state)\" (written by a newer orchestrator?); refusing to guess"
        case .emptyDatabase:
            return
                "the state database is empty (0 bytes): taken for a new one, a truncated state would make every file run again; restore it from a backup, or pass --init-state to start a new one"
        }
    }
}

/// The orchestrator's memory: applied specs, the ledger, observations, runs.
///
/// A protocol so that the embedded SQLite store can be joined by a shared PostgreSQL one.
/// Every state change of the ledger is a conditional update: a claim succeeds only for a content
/// that is still claimable, so two processes never run the same content at once.
public protocol StateStore: Sendable {
    /// Whether the store answered its last call (a server store can be unreachable for a while;
    /// an embedded one always answers). `/readyz` says not ready meanwhile.
    var isAvailable: Bool { get }
    // MARK: Applied specs
    func appliedSpecs() throws -> [AppliedSpec]
    /// Records `pipeline` as applied; the generation increases when the spec differs.
    @discardableResult
    func recordApplied(_ pipeline: Pipeline, file: String, at now: Date) throws -> AppliedSpec
    func removeApplied(_ name: String) throws

    // MARK: Observations (the stat cache)
    func observations(pipeline: String) throws -> [String: Observation]
    /// The stat cache's row of one path, without loading the pipeline's whole cache.
    func observation(pipeline: String, path: String) throws -> Observation?
    func saveObservations(_ observations: [Observation], removing removed: [String], pipeline: String) throws
    /// Every path a content was seen under, oldest first.
    func names(pipeline: String, sha256: String) throws -> [String]

    // MARK: Ledger
    func ledger(pipeline: String) throws -> [String: LedgerEntry]
    /// The ledger rows of some contents, read by key: what a look at a few files needs.
    func ledger(pipeline: String, sha256s: Set<String>) throws -> [String: LedgerEntry]
    /// Adds `pending` rows for new contents and refreshes `lastSeen`/`path` of known ones.
    func recordSeen(pipeline: String, contents: [SeenContent], at now: Date) throws
    /// What a look found: its stat-cache changes (`saveObservations`) and the contents it saw
    /// (`recordSeen`), in one transaction where both live in one database.
    func recordLook(
        pipeline: String,
        observations: [Observation],
        removing removed: [String],
        seen: [SeenContent],
        at now: Date
    ) throws
    /// Claims a content for `run`: `pending`, or `failed` and due, becomes `running`, and the run
    /// is recorded in the same transaction. Returns `nil` when another process holds the content
    /// or it is no longer claimable.
    /// With a `lease` (seconds), the claim lapses unless renewed (`renewLease`): another
    /// orchestrator may then take it over. A content whose lease has expired is claimable.
    /// With a `concurrency`, the claim is also refused (`nil`) while that many other contents
    /// of the pipeline are running under live claims, whichever process holds them: the
    /// pipeline's `concurrency` holds across every replica sharing the state.
    func claim(
        pipeline: String,
        sha256: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?,
        at now: Date
    )
        throws -> LedgerEntry?
    /// `claim`, and the stat cache's row of `path` as it is then (what a run compares with, to
    /// tell a file that changed during it), in one transaction where both live in one database.
    func claimObserving(
        pipeline: String,
        sha256: String,
        path: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?,
        at now: Date
    ) throws -> (entry: LedgerEntry, observed: Observation?)?
    /// `recordLook`, then `claimObserving` of one content at the look's time: one transaction
    /// where all live in one database, so that the daemon's look at a new file and the claim of
    /// its run cost one commit, not two. The look is recorded whether or not the claim is granted.
    func recordLook(
        _ look: LookRecord,
        thenClaim sha256: String,
        path: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?
    ) throws -> (entry: LedgerEntry, observed: Observation?)?
    /// Extends `owner`'s claim of a content to `until`; `false` when `owner` no longer holds it
    /// (its lease expired and another orchestrator took the content over).
    func renewLease(pipeline: String, sha256: String, owner: String, until: Date) throws -> Bool
    /// Records how a claimed run ended (and ends its run row); only the owner of the claim can.
    /// When the new state owes a file action (`onSuccess` once succeeded, `onFailure` once
    /// quarantined), it is recorded as pending in the same transaction, committed with a full
    /// sync: the file is moved or deleted only after both are on disk, and a crash in between
    /// leaves the action owed, not forgotten.
    @discardableResult
    func complete(
        pipeline: String,
        sha256: String,
        owner: String,
        run: (id: String, logTail: String)?,
        outcome: RunOutcome,
        policy: RetryPolicy,
        fileActions: (onSuccess: FileAction, onFailure: FileAction),
        jitter: Double,
        at now: Date
    ) throws -> LedgerEntry?
    /// Every claimed content, across pipelines, with its owner.
    func claims() throws -> [LedgerEntry]
    /// Makes failed or quarantined contents due now (all of a pipeline, or one).
    func retry(pipeline: String, sha256: String?, at now: Date) throws -> Int
    /// Removes a content's row, so that it is processed again when seen.
    func forget(pipeline: String, sha256: String) throws -> Bool

    // MARK: File actions
    /// The file actions owed, of one pipeline or of all (`nil`), oldest first.
    func pendingFileActions(pipeline: String?) throws -> [PendingFileAction]
    /// Stores an action after a failed attempt (its attempts, error and next attempt).
    func saveFileAction(_ action: PendingFileAction) throws
    /// Removes an action that was done (then the file's stat-cache row goes too, as the file
    /// left the folder) or that no longer applies.
    func finishFileAction(pipeline: String, path: String, fileLeft: Bool) throws

    // MARK: Runs
    /// Records the child's process group once it is known (the run row exists before the spawn).
    func setProcessGroup(runID: String, _ group: Int32) throws
    func finishRun(id: String, outcome: RunOutcome, endedAt: Date, logTail: String) throws
    func runs(pipeline: String, limit: Int) throws -> [RunRecord]
    /// Runs without an end whose owner is not alive: left by an orchestrator that died.
    func unfinishedRuns() throws -> [(run: RunRecord, owner: String)]
}

extension StateStore {
    public var isAvailable: Bool { true }

    /// Two writes, for a store whose stat cache is apart from its ledger (PostgreSQL's is a
    /// local SQLite file per replica).
    public func recordLook(
        pipeline: String,
        observations: [Observation],
        removing removed: [String],
        seen: [SeenContent],
        at now: Date
    ) throws {
        try saveObservations(observations, removing: removed, pipeline: pipeline)
        try recordSeen(pipeline: pipeline, contents: seen, at: now)
    }

    /// Two writes, for a store whose stat cache is apart from its ledger.
    public func recordLook(
        _ look: LookRecord,
        thenClaim sha256: String,
        path: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        concurrency: Int?
    ) throws -> (entry: LedgerEntry, observed: Observation?)? {
        try recordLook(
            pipeline: look.pipeline,
            observations: look.observations,
            removing: look.removed,
            seen: look.seen,
            at: look.at
        )
        return try claimObserving(
            pipeline: look.pipeline,
            sha256: sha256,
            path: path,
            owner: owner,
            run: run,
            lease: lease,
            concurrency: concurrency,
            at: look.at
        )
    }

    /// A claim, then a read, for a store whose stat cache is apart from its ledger.
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
        guard
            let entry = try claim(
                pipeline: pipeline,
                sha256: sha256,
                owner: owner,
                run: run,
                lease: lease,
                concurrency: concurrency,
                at: now
            )
        else { return nil }
        return (entry, try observation(pipeline: pipeline, path: path))
    }

    /// A claim with no limit on the pipeline's running contents.
    public func claim(
        pipeline: String,
        sha256: String,
        owner: String,
        run: RunRecord?,
        lease: TimeInterval?,
        at now: Date
    ) throws
        -> LedgerEntry?
    {
        try claim(pipeline: pipeline, sha256: sha256, owner: owner, run: run, lease: lease, concurrency: nil, at: now)
    }

    /// A claim without a lease or a limit: it holds until its owner records the outcome or is found dead.
    public func claim(
        pipeline: String,
        sha256: String,
        owner: String,
        run: RunRecord?,
        at now: Date
    ) throws
        -> LedgerEntry?
    {
        try claim(pipeline: pipeline, sha256: sha256, owner: owner, run: run, lease: nil, at: now)
    }
}

/// What a look at a pipeline's folder found, for the store (`recordLook`): its stat-cache
/// changes and the contents it saw.
public struct LookRecord: Sendable {
    public var pipeline: String
    public var observations: [Observation]
    public var removed: [String]
    public var seen: [SeenContent]
    public var at: Date

    public init(pipeline: String, observations: [Observation], removed: [String], seen: [SeenContent], at: Date) {
        self.pipeline = pipeline
        self.observations = observations
        self.removed = removed
        self.seen = seen
        self.at = at
    }
}
