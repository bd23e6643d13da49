import Foundation
import Model

/// Why the console store refused a change.
public enum ConsoleStoreError: Error, Equatable, CustomStringConvertible {
    /// The pipeline changed since the version the change was based on (someone else saved).
    case versionConflict(name: String, current: Int, basedOn: Int?)
    case noSuchPipeline(String)
    case noSuchVersion(name: String, version: Int)

    public var description: String {
        switch self {
        case .versionConflict(let name, let current, let basedOn):
            let base = basedOn.map { "version \($0)" } ?? "no version"
            return "pipeline \(name) is at version \(current), not \(base): it changed meanwhile; reload and edit again"
        case .noSuchPipeline(let name): return "no pipeline \(name) in the database"
        case .noSuchVersion(let name, let version): return "pipeline \(name) has no version \(version)"
        }
    }
}

/// What the console and the `pipelines` and `users` commands keep beside the ledger: database
/// pipelines with every version, local users, the audit trail, and the server's own secrets.
public protocol ConsoleStore: Sendable {
    /// The current version of every database pipeline not deleted, by name.
    func storedPipelines() throws -> [StoredPipeline]
    /// Every version of one pipeline, oldest first (deletions included).
    func pipelineHistory(_ name: String) throws -> [StoredPipeline]
    /// Saves a new version. `basedOn` is the version the text was edited from (`nil` to create):
    /// a save based on anything but the current version is refused, so no edit is lost.
    func savePipeline(name: String, text: String, author: String, basedOn: Int?, at now: Date) throws -> StoredPipeline
    /// Records a deletion as a new version without text.
    func deletePipeline(name: String, author: String, basedOn: Int?, at now: Date) throws -> StoredPipeline
    /// A number that grows with every change to database pipelines, from any process: a daemon
    /// polls it to apply changes made by another (the CLI) within a second.
    func pipelinesRevision() throws -> Int

    /// Pipelines suspended from the console (by name, with who did it), of either source: their
    /// effective spec has `suspend: true` for every command, until resumed.
    func suspensions() throws -> [String: String]
    /// Suspends or resumes; returns whether anything changed.
    func setSuspended(_ name: String, _ suspended: Bool, author: String, at now: Date) throws -> Bool

    func users() throws -> [UserAccount]
    func user(named name: String) throws -> UserAccount?
    func saveUser(_ user: UserAccount) throws
    func removeUser(_ name: String) throws -> Bool

    /// One page of a pipeline's ledger, most recently seen first, optionally only contents in
    /// `state` and whose hash starts with, or one of whose names contains, `search`; with the
    /// number of contents that match. Indexed: fast with 100,000 contents.
    func ledgerPage(
        pipeline: String,
        search: String?,
        state: LedgerState?,
        offset: Int,
        limit: Int
    ) throws -> LedgerPage
    /// How many contents of a pipeline are in each state.
    func ledgerCounts(pipeline: String) throws -> [LedgerState: Int]

    func appendAudit(_ event: AuditEvent) throws
    /// The latest events, newest first.
    func audit(limit: Int) throws -> [AuditEvent]

    /// A value kept across restarts (the session signing key), made by `create` the first time.
    func serverSecret(_ name: String, create: () -> String) throws -> String
}

/// A page of ledger rows and how many rows match in all.
public struct LedgerPage: Sendable {
    public var total: Int
    public var entries: [LedgerEntry]

    public init(total: Int, entries: [LedgerEntry]) {
        self.total = total
        self.entries = entries
    }
}

extension StoredPipeline {
    /// The version that a change makes after `latest` (the newest stored version's number and
    /// whether it is a deletion; `nil` for a new name), or the refusal: a change must be based
    /// on the current version (a create, `basedOn` nil, may follow a deletion), and only a live
    /// pipeline can be deleted. Every store appends what this returns.
    static func next(
        name: String,
        text: String,
        author: String,
        deleted: Bool,
        basedOn: Int?,
        latest: (version: Int, deleted: Bool)?,
        at now: Date
    ) throws(ConsoleStoreError) -> StoredPipeline {
        let version = latest?.version ?? 0
        let live = latest.map { !$0.deleted } ?? false
        if deleted && !live { throw .noSuchPipeline(name) }
        if basedOn != (live ? version : nil) {
            throw .versionConflict(name: name, current: version, basedOn: basedOn)
        }
        return StoredPipeline(
            name: name,
            version: version + 1,
            text: text,
            author: author,
            savedAt: now,
            deleted: deleted
        )
    }
}
