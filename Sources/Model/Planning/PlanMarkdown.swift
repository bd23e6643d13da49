/// The plan as a pull-request comment: a summary line, a section per changed pipeline with its
/// field changes in a `diff` block, its files summarised by action with the first few listed,
/// secrets masked as in every other rendering.
///
/// Text that comes from users (paths, values, messages) only ever appears inside code spans and
/// fenced blocks whose fences are longer than any backtick run it holds, so that a file name
/// cannot inject markup, links or HTML into the comment.
public enum PlanMarkdown {
    /// The first line, an HTML comment a CI job can look for to update its previous comment.
    public static let marker = "<!-- orchestrator plan -->"

    public static func render(_ plan: Plan, listing: FileListing = FileListing(), title: String = "Plan") -> String {
        var out = [marker, "### \(title): \(plan.summary.sentence.droppingPrefix("Plan: "))", ""]
        if let refusal = plan.refusal { out += ["> **Error:** \(code(refusal))", ""] }
        var unchanged: [String] = []
        for pipeline in plan.pipelines {
            let files = fileLines(pipeline, listing: listing)
            if case .unchanged = pipeline.change, files.isEmpty, pipeline.notes.isEmpty, pipeline.fileActions.isEmpty {
                unchanged.append(pipeline.name)
                continue
            }
            out += section(pipeline, files: files)
        }
        if !unchanged.isEmpty {
            out += [
                "\(unchanged.count) pipeline\(unchanged.count == 1 ? "" : "s") unchanged: "
                    + unchanged.map(code).joined(separator: ", ") + ".", "",
            ]
        }
        let warnings = plan.diagnostics.filter { $0.severity == .warning }
        if !warnings.isEmpty {
            out += ["<details><summary>\(warnings.count) warning\(warnings.count == 1 ? "" : "s")</summary>", ""]
            out += block(warnings.map(\.description), language: "text")
            out += ["</details>", ""]
        }
        return out.joined(separator: "\n")
    }

    private static func section(_ pipeline: PipelinePlan, files: [String]) -> [String] {
        let verb: String
        switch pipeline.change {
        case .create: verb = "will be created"
        case .update: verb = "will be updated"
        case .delete: verb = "will be deleted"
        case .invalid: verb = "has an invalid manifest"
        case .unchanged: verb = "is unchanged"
        }
        var out = [
            "#### \(pipeline.change.symbol == " " ? "" : pipeline.change.symbol + " ")"
                + "\(code(pipeline.name)) \(verb)" + (pipeline.file.map { " (\(code($0)))" } ?? ""), "",
        ]
        out += pipeline.notes.map { "- \(code($0))" }
        if !pipeline.notes.isEmpty { out.append("") }
        switch pipeline.change {
        case .update(let fields):
            out += block(fields.flatMap(diffLines), language: "diff")
        case .invalid(let diagnostics):
            out += block(diagnostics.map(\.description), language: "text")
        case .create, .delete, .unchanged:
            break
        }
        if !files.isEmpty {
            let counts = PlanAction.allCases.compactMap { action -> String? in
                let count = pipeline.files.filter { $0.action == action }.count
                return count == 0 ? nil : "\(action.symbol) \(PlanText.grouped(count)) \(label(action))"
            }
            let owed = pipeline.fileActions.count
            let summary =
                (counts
                    + (owed == 0
                        ? [] : ["\(PlanText.fileActionSymbol) \(owed) file action\(owed == 1 ? "" : "s") owed"]))
            out += ["<details><summary>Files: \(summary.joined(separator: ", "))</summary>", ""]
            out += block(files, language: "text")
            out += ["</details>", ""]
        }
        return out
    }

    private static func label(_ action: PlanAction) -> String {
        switch action {
        case .process: return "to process"
        case .reprocess: return "to reprocess"
        case .skip: return "skipped"
        case .retry: return "to retry"
        case .quarantined: return "quarantined"
        case .running: return "running elsewhere"
        }
    }

    /// A field change as `diff` lines: the old value removed, the new one added.
    static func diffLines(_ field: FieldChange) -> [String] {
        if field.sensitive { return ["! \(field.path): (sensitive value changed)"] }
        var lines: [String] = []
        if field.old != nil { lines.append("- \(field.path): \(PlanText.quoted(field.old))") }
        if field.new != nil { lines.append("+ \(field.path): \(PlanText.quoted(field.new))") }
        return lines
    }

    /// The files of a pipeline as the text plan lists them, first few per action then counts.
    private static func fileLines(_ pipeline: PipelinePlan, listing: FileListing) -> [String] {
        let (listed, skipped, more) = listing.select(pipeline.files)
        var lines = listed.map { "\($0.action.symbol) \($0.path)  \(PlanText.detail($0))" }
        lines += more.map { "\($0.symbol) … and \(PlanText.grouped($1)) more; --show-all lists them" }
        if skipped > 0 { lines.append("= \(PlanText.grouped(skipped)) already processed") }
        lines += pipeline.fileActions.map {
            "\(PlanText.fileActionSymbol) \($0.path)  \(PlanText.detail($0))"
        }
        return lines
    }

    /// A fenced block that nothing in `lines` can close early.
    static func block(_ lines: [String], language: String) -> [String] {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(lines.joined()) + 1))
        return [fence + language] + lines.map(\.terminalSafe) + [fence, ""]
    }

    /// An inline code span that nothing in `text` can close early.
    static func code(_ text: String) -> String {
        let safe = text.terminalSafe
        let fence = String(repeating: "`", count: longestBacktickRun(safe) + 1)
        let pad = safe.hasPrefix("`") || safe.hasSuffix("`") ? " " : ""
        return fence + pad + safe + pad + fence
    }

    private static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0, current = 0
        for character in text {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}

extension String {
    fileprivate func droppingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
