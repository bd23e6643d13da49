import Foundation

/// Where one content stands in one pipeline's ledger.
///
/// `pending → running → succeeded | failed → … → quarantined`. Transitions are conditional
/// updates in the store, so two processes can never both claim the same content.
public enum LedgerState: String, Sendable, Codable, CaseIterable {
    /// Seen and ready, not yet run.
    case pending
    /// Claimed by a run (with an owner and a lease).
    case running
    /// Processed: the content is never run again by this pipeline, whatever its name.
    case succeeded
    /// The last attempt failed; another is due at `nextAttemptAt`.
    case failed
    /// Failed more times than `run.retries` allows; waits for `orchestrator retry`.
    case quarantined
}

/// The ledger row of one content (its SHA-256) in one pipeline. Rows never expire.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public var pipeline: String
    public var sha256: String
    public var state: LedgerState
    /// Runs started for this content.
    public var attempts: Int
    public var firstSeen: Date
    public var lastSeen: Date
    /// The path (relative to `watch.path`) this content was last seen under.
    public var path: String
    /// When a failed content may run again.
    public var nextAttemptAt: Date?
    public var lastExitCode: Int?
    public var lastSignal: Int?
    public var lastError: String?
    /// When it succeeded, and under which path.
    public var succeededAt: Date?
    public var succeededPath: String?
    /// The process that claimed it, while `running`.
    public var owner: String?
    /// Until when the owner's claim holds unless renewed (its heartbeat). A claim whose lease
    /// has expired may be taken over by another orchestrator: its owner died, froze or lost the
    /// database. `nil` for a claim without a lease.
    public var leaseUntil: Date?

    public init(
        pipeline: String,
        sha256: String,
        state: LedgerState,
        attempts: Int = 0,
        firstSeen: Date,
        lastSeen: Date,
        path: String,
        nextAttemptAt: Date? = nil,
        lastExitCode: Int? = nil,
        lastSignal: Int? = nil,
        lastError: String? = nil,
        succeededAt: Date? = nil,
        succeededPath: String? = nil,
        owner: String? = nil,
        leaseUntil: Date? = nil
    ) {
        self.pipeline = pipeline
        self.sha256 = sha256
        self.state = state
        self.attempts = attempts
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.path = path
        self.nextAttemptAt = nextAttemptAt
        self.lastExitCode = lastExitCode
        self.lastSignal = lastSignal
        self.lastError = lastError
        self.succeededAt = succeededAt
        self.succeededPath = succeededPath
        self.owner = owner
        self.leaseUntil = leaseUntil
    }
}

/// How one run ended.
public enum RunOutcome: Sendable, Hashable, Codable {
    case succeeded
    /// The command exited with a non-zero code.
    case exited(code: Int)
    /// The command was killed by a signal.
    case signaled(signal: Int)
    /// The run exceeded `run.timeout` and was killed.
    case timedOut
    /// The command could not be started (no such program, bad working folder…).
    case failedToStart(reason: String)
    /// The orchestrator stopped or died during the run.
    case interrupted
    /// The file no longer held the content when the run ended (rewritten in place, even to the
    /// same size with its mtime restored): what the command read is unknown, so the content is
    /// not recorded as processed and the file is left for its new content to be planned.
    case changedDuringRun

    public var isSuccess: Bool { self == .succeeded }

    public var description: String {
        switch self {
        case .succeeded: return "succeeded"
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .timedOut: return "timed out"
        case .failedToStart(let reason): return "could not start: \(reason)"
        case .interrupted: return "interrupted"
        case .changedDuringRun: return "interrupted: the file changed during the run"
        }
    }
}
