import Foundation

/// The plan as people read it: grouped by pipeline with its manifest, one line per change,
/// unchanged pipelines and skipped files summarised, ending with one summary line.
public enum PlanText {
    public static func render(_ plan: Plan, showSkipped: Bool = false) -> String {
        var lines: [String] = []
        var unchanged = 0
        for pipeline in plan.pipelines {
            let body = PlanText.lines(for: pipeline, showSkipped: showSkipped)
            if case .unchanged = pipeline.change, body.isEmpty, pipeline.notes.isEmpty {
                unchanged += 1
                continue
            }
            lines.append(header(pipeline))
            lines += pipeline.notes.map { "    # \($0.terminalSafe)" }
            lines += body
            lines.append("")
        }
        if unchanged > 0 { lines.append("\(unchanged) pipeline\(unchanged == 1 ? "" : "s") unchanged.\n") }
        if let refusal = plan.refusal { lines.append("Error: \(refusal)\n") }
        lines.append(plan.summary.sentence)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func header(_ pipeline: PipelinePlan) -> String {
        let source = pipeline.file.map { " (\($0.terminalSafe))" } ?? ""
        switch pipeline.change {
        case .create: return "+ pipeline \(pipeline.name)\(source) will be created"
        case .update: return "~ pipeline \(pipeline.name)\(source) will be updated"
        case .delete: return "- pipeline \(pipeline.name)\(source) will be deleted"
        case .invalid: return "! pipeline \(pipeline.name)\(source) has an invalid manifest"
        case .unchanged: return "  pipeline \(pipeline.name)\(source)"
        }
    }

    private static func lines(for pipeline: PipelinePlan, showSkipped: Bool) -> [String] {
        var lines: [String] = []
        switch pipeline.change {
        case .update(let fields):
            for field in fields {
                let value =
                    field.sensitive ? "(sensitive value changed)" : "\(quoted(field.old)) → \(quoted(field.new))"
                lines.append("    ~ \(field.path): \(value)")
            }
        case .invalid(let diagnostics):
            lines += diagnostics.map { "    ! \($0.description.terminalSafe)" }
        default:
            break
        }
        var skipped = 0
        for file in pipeline.files {
            if file.action == .skip, file.duplicateOf == nil, !showSkipped {
                skipped += 1
                continue
            }
            lines.append("    \(file.action.symbol) \(file.path.terminalSafe)  \(detail(file).terminalSafe)")
        }
        if skipped > 0 {
            lines.append(
                "    = \(skipped) file\(skipped == 1 ? "" : "s") already processed (--show-skipped lists them)"
            )
        }
        lines += pipeline.fileActions.map {
            "    \(PlanText.fileActionSymbol) \($0.path.terminalSafe)  \(detail($0).terminalSafe)"
        }
        return lines
    }

    /// The symbol of an owed file action.
    public static let fileActionSymbol = "→"

    public static func detail(_ action: PendingFileAction) -> String {
        let owed = "sha256:\(action.sha256.prefix(12)) \(action.summary) owed since \(timestamp(action.createdAt))"
        guard let error = action.lastError else { return owed }
        return
            "\(owed); \(action.attempts) failed attempt\(action.attempts == 1 ? "" : "s"), next at \(timestamp(action.nextAttemptAt)): \(error)"
    }

    static func detail(_ file: FileChange) -> String {
        let sha = "sha256:" + file.sha256.prefix(12)
        switch file.action {
        case .process: return "\(sha) new content"
        case .reprocess: return "\(sha) new content for a known path"
        case .skip:
            if let other = file.duplicateOf { return "\(sha) same content as \(other)" }
            let when = file.succeededAt.map { " on \(timestamp($0))" } ?? ""
            let name = file.succeededPath.map { $0 == file.path ? "" : " as \($0)" } ?? ""
            return "\(sha) already processed\(when)\(name)"
        case .retry:
            let when = file.isDue ? "due now" : "at \(file.nextAttemptAt.map(timestamp) ?? "?")"
            return
                "\(sha) retry \(when), after \(file.attempts) attempt\(file.attempts == 1 ? "" : "s"): \(file.lastError ?? "failed")"
        case .quarantined:
            return
                "\(sha) quarantined after \(file.attempts) attempts: \(file.lastError ?? "failed") (orchestrator retry to run it again)"
        case .running:
            return "\(sha) running in another process"
        }
    }

    private static func quoted(_ value: String?) -> String {
        value.map { "\"\($0)\"" } ?? "(none)"
    }

    /// ISO 8601 in UTC, to the second.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}

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

    public init(_ plan: Plan) {
        var changes: [Change] = []
        var notes: [String: [String]] = [:]
        for pipeline in plan.pipelines {
            if !pipeline.notes.isEmpty { notes[pipeline.name] = pipeline.notes }
            let action: String?
            var fields: [FieldChange]?
            switch pipeline.change {
            case .create: action = "create"
            case .update(let changed):
                action = "update"
                fields = changed
            case .delete: action = "delete"
            case .invalid: action = "invalid"
            case .unchanged: action = nil
            }
            if let action {
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
    }

    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
