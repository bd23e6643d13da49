import Foundation

/// The plan for machines: versioned, with locations, and no secret value anywhere.
public struct PlanJSON: Encodable {
    public static let formatVersion = "1"

    struct Change: Encodable {
        var kind: String
        var action: String
        var symbol: String
        var pipeline: String
        var manifest: String?
        /// Where the manifest lives: `git` or `database`.
        var source: String?
        var path: String?
        /// The exact bytes of a path that is not UTF-8, base64; `path` then shows them as `\xe9`.
        var path_bytes: String?
        var sha256: String?
        var fields: [FieldChange]?
        var detail: String?
        var due: Bool?
        var attempts: Int?
        var next_attempt_at: String?
        var last_error: String?
    }

    let format_version = PlanJSON.formatVersion
    let changes: [Change]
    let notes: [String: [String]]
    let diagnostics: [Diagnostic]
    let refusal: String?
    let summary: PlanSummary
    let has_changes: Bool
    /// For `show PLANFILE`: when and from what the plan was made.
    let saved_plan: Saved?

    struct Saved: Encodable {
        var created_at: String
        var pipelines: String
        var allow_empty: Bool
        var basis: PlanBasis
    }

    public init(_ plan: Plan, saved: SavedPlan? = nil) {
        var changes: [Change] = []
        var notes: [String: [String]] = [:]
        for pipeline in plan.pipelines {
            if !pipeline.notes.isEmpty { notes[pipeline.name] = pipeline.notes }
            var fields: [FieldChange]?
            if case .update(let changed) = pipeline.change { fields = changed }
            if let action = pipeline.change.action {
                changes.append(
                    Change(
                        kind: "pipeline",
                        action: action,
                        symbol: pipeline.change.symbol,
                        pipeline: pipeline.name,
                        manifest: pipeline.file,
                        source: pipeline.file.map { ManifestSource(file: $0).rawValue },
                        fields: fields
                    )
                )
            }
            for owed in pipeline.fileActions {
                changes.append(
                    Change(
                        kind: "file_action",
                        action: owed.summary.hasPrefix("move") ? "move" : "delete",
                        symbol: PlanText.fileActionSymbol,
                        pipeline: pipeline.name,
                        manifest: pipeline.file,
                        path: owed.path.jsonDisplay,
                        path_bytes: owed.path.base64Bytes,
                        sha256: owed.sha256,
                        detail: PlanText.detail(owed),
                        attempts: owed.attempts,
                        next_attempt_at: PlanText.timestamp(owed.nextAttemptAt),
                        last_error: owed.lastError
                    )
                )
            }
            for file in pipeline.files {
                changes.append(
                    Change(
                        kind: "file",
                        action: file.action.rawValue,
                        symbol: file.action.symbol,
                        pipeline: pipeline.name,
                        manifest: pipeline.file,
                        path: file.path.jsonDisplay,
                        path_bytes: file.path.base64Bytes,
                        sha256: file.sha256,
                        detail: PlanText.detail(file),
                        due: file.action == .retry ? file.isDue : nil,
                        attempts: file.attempts > 0 ? file.attempts : nil,
                        next_attempt_at: file.nextAttemptAt.map(PlanText.timestamp),
                        last_error: file.lastError
                    )
                )
            }
        }
        self.changes = changes
        self.notes = notes
        diagnostics = plan.diagnostics
        refusal = plan.refusal
        summary = plan.summary
        has_changes = summary.hasChanges
        saved_plan = saved.map {
            Saved(
                created_at: PlanText.timestamp($0.createdAt),
                pipelines: $0.pipelines,
                allow_empty: $0.allowEmpty,
                basis: $0.basis
            )
        }
    }

    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
