import Foundation
import Model

/// Why a change to the database pipelines was refused.
public enum CatalogError: Error, CustomStringConvertible {
    /// The manifest does not validate: every error, located.
    case invalid([Diagnostic])
    /// The name is declared by a manifest file in git: change it there.
    case managedByGit(name: String, file: String)
    case store(ConsoleStoreError)
    /// The state database failed.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalid(let diagnostics): return diagnostics.map(\.description).joined(separator: "\n")
        case .managedByGit(let name, let file):
            return "pipeline \(name) is managed by git (\(file)): change it there, or remove it from git first"
        case .store(let error): return error.description
        case .unavailable(let reason): return "the state database failed: \(reason)"
        }
    }
}

/// The database pipelines as the console, the API and `orchestrator pipelines` change them:
/// validated as manifests are, refused when git declares the name, versioned, and audited.
public struct PipelineCatalog: Sendable {
    public let store: any ConsoleStore
    /// The GitOps folder, whose names a database pipeline may not take.
    public let gitFolder: String

    public init(store: any ConsoleStore, gitFolder: String) {
        self.store = store
        self.gitFolder = gitFolder
    }

    /// The errors and warnings of `text` as the manifest of database pipeline `name`, including
    /// a clash with a git manifest: what the editor shows before saving.
    public func check(_ text: String, name: String) -> [Diagnostic] {
        var diagnostics = StoredPipeline.validate(text, name: name).flatMap(\.diagnostics)
        if let file = gitFile(declaring: name) {
            diagnostics.append(
                Diagnostic(
                    .error,
                    file: ManifestSource.databaseLabel(name),
                    at: .start,
                    CatalogError.managedByGit(name: name, file: file).description
                )
            )
        }
        return diagnostics.sortedForDisplay()
    }

    /// Saves a new version of `name` (creates it when `basedOn` is `nil`), after validation.
    @discardableResult
    public func save(
        name: String,
        text: String,
        author: String,
        basedOn: Int?,
        action: AuditEvent.Action? = nil,
        at now: Date = Date()
    ) throws(CatalogError) -> StoredPipeline {
        if let file = gitFile(declaring: name) { throw .managedByGit(name: name, file: file) }
        let diagnostics = StoredPipeline.validate(text, name: name).flatMap(\.diagnostics)
        if diagnostics.hasErrors { throw .invalid(diagnostics.sortedForDisplay()) }
        let stored = try storing {
            try store.savePipeline(name: name, text: text, author: author, basedOn: basedOn, at: now)
        }
        audit(
            user: author,
            action ?? (basedOn == nil ? .create : .edit),
            name,
            "version \(stored.version)",
            at: now
        )
        return stored
    }

    /// Deletes `name` (a new version without text); its ledger is kept, as for any deletion.
    @discardableResult
    public func delete(
        name: String,
        author: String,
        basedOn: Int?,
        at now: Date = Date()
    ) throws(CatalogError) -> StoredPipeline {
        let stored = try storing { try store.deletePipeline(name: name, author: author, basedOn: basedOn, at: now) }
        audit(user: author, .delete, name, "version \(stored.version)", at: now)
        return stored
    }

    /// Saves the text of an earlier version as a new version.
    @discardableResult
    public func rollback(
        name: String,
        to version: Int,
        author: String,
        at now: Date = Date()
    ) throws(CatalogError) -> StoredPipeline {
        let history = try storing { try store.pipelineHistory(name) }
        guard let target = history.first(where: { $0.version == version }), !target.deleted else {
            throw .store(.noSuchVersion(name: name, version: version))
        }
        let current = history.last.flatMap { $0.deleted ? nil : $0.version }
        let stored = try save(
            name: name,
            text: target.text,
            author: author,
            basedOn: current,
            action: .rollback,
            at: now
        )
        return stored
    }

    /// One version in a pipeline's history, as `pipelines history` and the API show it.
    public struct Version: Sendable, Encodable {
        public let version: Int
        public let author: String
        public let savedAt: Date
        public let deleted: Bool
        public let text: String
        /// The unified diff from the version before (from nothing, for the first).
        public let diff: String
    }

    /// The versions of `name`, oldest first, each with the unified diff from the one before.
    public func history(_ name: String) throws(CatalogError) -> [Version] {
        let versions = try storing { try store.pipelineHistory(name) }
        guard !versions.isEmpty else { throw .store(.noSuchPipeline(name)) }
        return versions.enumerated().map { index, stored in
            let previous = index == 0 ? "" : versions[index - 1].text
            return Version(
                version: stored.version,
                author: stored.author,
                savedAt: stored.savedAt,
                deleted: stored.deleted,
                text: stored.text,
                diff: LineDiff.unified(from: previous, to: stored.text)
            )
        }
    }

    /// The git manifest file that declares `name`, if any.
    public func gitFile(declaring name: String) -> String? {
        guard let manifests = try? ManifestDirectory.load(gitFolder) else { return nil }
        return manifests.documents.first { $0.name == name }?.file
    }

    /// Records an action in the audit trail; a failure to record is reported, not thrown, as the
    /// action itself is done.
    public func audit(
        user: String,
        _ action: AuditEvent.Action,
        _ target: String,
        _ detail: String,
        at now: Date = Date()
    ) {
        try? store.appendAudit(AuditEvent(at: now, user: user, action: action, target: target, detail: detail))
    }

    private func storing<T>(_ body: () throws -> T) throws(CatalogError) -> T {
        do { return try body() } catch let error as ConsoleStoreError { throw .store(error) } catch {
            throw .unavailable("\(error)")
        }
    }
}
