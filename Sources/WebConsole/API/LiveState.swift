import Foundation
import Model
import Reconciler

/// What the pipelines page and the event stream show of each pipeline: its source, whether it
/// is Ready and why not, its contents by ledger state, its last run.
struct PipelineSummary: Encodable, Equatable, Sendable {
    var name: String
    var source: ManifestSource
    /// The manifest file (git) or `db:NAME` (database).
    var file: String
    /// The database version, for database pipelines.
    var version: Int?
    var labels: [String: String]
    var ready: Bool
    /// Why it is (not) ready: `Watching`, `InvalidManifest`, `NameConflict`, `Suspended`, `FolderMissing`, `NotApplied`.
    var reason: String
    var message: String
    var counts: [String: Int]
    /// Contents waiting for their first run (pending).
    var queued: Int
    var lastRun: RunSummary?
    /// Suspended through the console (resume there), rather than by `spec.suspend`.
    var suspendedFromConsole = false
}

struct RunSummary: Encodable, Equatable, Sendable {
    var id: String
    var sha256: String
    var path: String
    var startedAt: Date
    var endedAt: Date?
    var durationSeconds: Double?
    var outcome: String?
    var exitCode: Int?
    var logTail: String

    init(_ run: RunRecord) {
        id = run.id
        sha256 = run.sha256
        path = run.path.jsonDisplay
        startedAt = run.startedAt
        endedAt = run.endedAt
        durationSeconds = run.endedAt.map { $0.timeIntervalSince(run.startedAt) }
        outcome = run.outcome?.description
        if case .exited(let code) = run.outcome {
            exitCode = code
        } else {
            exitCode = run.outcome?.isSuccess == true ? 0 : nil
        }
        logTail = run.logTail
    }
}

/// Computes pipeline summaries from both manifest sources, the applied specs and the ledger.
struct LiveState: Sendable {
    let store: Console.Store
    let pipelinesFolder: String

    func summaries() throws -> [PipelineSummary] {
        let manifests = try DesiredState.load(pipelinesFolder, database: store)
        let applied = Dictionary(
            try store.appliedSpecs().map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let versions = Dictionary(
            try store.storedPipelines().map { ($0.name, $0.version) },
            uniquingKeysWith: { a, _ in a }
        )
        let suspensions = try store.suspensions()
        var seen = Set<String>()
        var result: [PipelineSummary] = []
        for document in manifests.documents {
            guard let name = document.name, seen.insert(name).inserted else { continue }
            var summary = try summary(name, document: document, applied: applied[name], version: versions[name])
            if let by = suspensions[name], summary.reason == "Suspended" {
                summary.message = "suspended from the console by \(by)"
            }
            summary.suspendedFromConsole = suspensions[name] != nil
            result.append(summary)
        }
        return result.sorted { $0.name < $1.name }
    }

    private func summary(
        _ name: String,
        document: ManifestDocument,
        applied: AppliedSpec?,
        version: Int?
    ) throws -> PipelineSummary {
        let pipeline = document.pipeline ?? applied?.pipeline
        let counts = try store.ledgerCounts(pipeline: name)
        let source = ManifestSource(file: document.file)
        var reason = "Watching"
        var message = ""
        let firstError = document.diagnostics.first { $0.severity == .error }
        if let firstError {
            reason =
                firstError.message.contains("declared both in git and in the database")
                ? "NameConflict" : "InvalidManifest"
            message = firstError.description + (applied != nil ? " (the last applied spec keeps running)" : "")
        } else if let pipeline, pipeline.spec.suspend {
            reason = "Suspended"
        } else if let pipeline,
            !FileManager.default.fileExists(atPath: Observer.root(of: pipeline, manifestFile: document.file))
        {
            reason = "FolderMissing"
            message = "watch.path \(Observer.root(of: pipeline, manifestFile: document.file)) does not exist"
        } else if applied == nil {
            reason = "NotApplied"
            message = "not applied yet: the daemon applies it within a second"
        }
        return PipelineSummary(
            name: name,
            source: source,
            file: document.file,
            version: source == .database ? version : nil,
            labels: pipeline?.metadata.labels ?? [:],
            ready: reason == "Watching",
            reason: reason,
            message: message,
            counts: Dictionary(uniqueKeysWithValues: LedgerState.allCases.map { ($0.rawValue, counts[$0] ?? 0) }),
            queued: (counts[.pending] ?? 0),
            lastRun: try store.runs(pipeline: name, limit: 1).first.map(RunSummary.init)
        )
    }
}
