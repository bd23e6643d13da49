import Foundation

/// What the observer saw of one file: the stat that identifies a version of it, and the
/// content hash once computed. A file whose stat is unchanged is not hashed again.
public struct Observation: Sendable, Hashable, Codable {
    public var pipeline: String
    /// The path relative to `watch.path`.
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var sha256: String?
    public var observedAt: Date

    public init(
        pipeline: String,
        path: String,
        device: UInt64,
        inode: UInt64,
        size: Int64,
        mtimeNs: Int64,
        ctimeNs: Int64,
        sha256: String?,
        observedAt: Date
    ) {
        self.pipeline = pipeline
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.sha256 = sha256
        self.observedAt = observedAt
    }
}

/// One execution of a pipeline's command for one content.
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var pipeline: String
    public var sha256: String
    public var path: String
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: RunOutcome?
    /// The child's process group, to kill what a dead orchestrator left behind.
    public var processGroup: Int32?
    public var logFile: String
    /// The last lines of the log, kept in the ledger for `status`.
    public var logTail: String

    public init(
        id: String,
        pipeline: String,
        sha256: String,
        path: String,
        startedAt: Date,
        endedAt: Date? = nil,
        outcome: RunOutcome? = nil,
        processGroup: Int32? = nil,
        logFile: String,
        logTail: String = ""
    ) {
        self.id = id
        self.pipeline = pipeline
        self.sha256 = sha256
        self.path = path
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.processGroup = processGroup
        self.logFile = logFile
        self.logTail = logTail
    }
}

/// The spec a pipeline was last applied with.
public struct AppliedSpec: Sendable, Hashable, Codable {
    public var pipeline: Pipeline
    /// The manifest file it came from.
    public var file: String
    /// Increases each time the applied spec changes.
    public var generation: Int
    public var appliedAt: Date

    public init(pipeline: Pipeline, file: String, generation: Int, appliedAt: Date) {
        self.pipeline = pipeline
        self.file = file
        self.generation = generation
        self.appliedAt = appliedAt
    }

    public var name: String { pipeline.name }
}
