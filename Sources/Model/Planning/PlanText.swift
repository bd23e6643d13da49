import Foundation

/// How many files a plan for people lists: a plan of 100,000 new files is read as its first
/// files and a count, as a terminal or a pull-request comment can hold it. JSON lists every file.
public struct FileListing: Sendable, Hashable {
    /// The files listed per action and pipeline before the rest is counted; `nil` lists all.
    public var limit: Int?
    /// Whether files skipped because their content already succeeded are listed (else counted).
    public var showSkipped: Bool

    public init(limit: Int? = FileListing.defaultLimit, showSkipped: Bool = false) {
        self.limit = limit
        self.showSkipped = showSkipped
    }

    public static let defaultLimit = 20
    /// Every file, skipped ones included (`--show-all`).
    public static let all = FileListing(limit: nil, showSkipped: true)

    /// The files to list, in path order, the skipped ones counted, and the count left out per action.
    func select(_ files: [FileChange]) -> (listed: [FileChange], skipped: Int, more: [(PlanAction, Int)]) {
        var listed: [FileChange] = []
        var skipped = 0
        var shown: [PlanAction: Int] = [:]
        var more: [PlanAction: Int] = [:]
        for file in files {
            if file.action == .skip, file.duplicateOf == nil, !showSkipped {
                skipped += 1
            } else if let limit, shown[file.action, default: 0] >= limit {
                more[file.action, default: 0] += 1
            } else {
                shown[file.action, default: 0] += 1
                listed.append(file)
            }
        }
        return (listed, skipped, PlanAction.allCases.compactMap { action in more[action].map { (action, $0) } })
    }
}

/// The plan as people read it: grouped by pipeline with its manifest, one line per change,
/// unchanged pipelines and skipped files summarised, ending with one summary line.
public enum PlanText {
    public static func render(_ plan: Plan, listing: FileListing = FileListing()) -> String {
        var lines: [String] = []
        var unchanged = 0
        for pipeline in plan.pipelines {
            let body = PlanText.lines(for: pipeline, listing: listing)
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

    static func header(_ pipeline: PipelinePlan) -> String {
        let source = pipeline.file.map { " (\($0.terminalSafe))" } ?? ""
        switch pipeline.change {
        case .create: return "+ pipeline \(pipeline.name)\(source) will be created"
        case .update: return "~ pipeline \(pipeline.name)\(source) will be updated"
        case .delete: return "- pipeline \(pipeline.name)\(source) will be deleted"
        case .invalid: return "! pipeline \(pipeline.name)\(source) has an invalid manifest"
        case .unchanged: return "  pipeline \(pipeline.name)\(source)"
        }
    }

    private static func lines(for pipeline: PipelinePlan, listing: FileListing) -> [String] {
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
        let (listed, skipped, more) = listing.select(pipeline.files)
        lines += listed.map { "    \($0.action.symbol) \($0.path.terminalSafe)  \(detail($0).terminalSafe)" }
        lines += more.map { "    \($0.symbol) … and \(grouped($1)) more; --show-all lists them" }
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

    /// `99980` as `99,980`, whatever the locale: plans read the same on every machine.
    static func grouped(_ count: Int) -> String {
        let digits = Array(String(count))
        return String(
            digits.enumerated().flatMap { index, digit in
                index > 0 && (digits.count - index) % 3 == 0 ? [",", digit] : [digit]
            }
        )
    }

    static func quoted(_ value: String?) -> String {
        value.map { "\"\($0)\"" } ?? "(none)"
    }

    /// ISO 8601 in UTC, to the second.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
