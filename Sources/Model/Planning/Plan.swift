import Foundation

/// What a reconcile would change, as a value: `plan` prints it, `reconcile` executes it.
/// Codable for planfiles (`SavedPlan`).
public struct Plan: Sendable, Hashable, Codable {
    public var pipelines: [PipelinePlan]
    /// Manifest errors and warnings, with their locations.
    public var diagnostics: [Diagnostic]
    /// Set when the plan must not be applied (every manifest gone while pipelines are applied).
    public var refusal: String?

    public init(pipelines: [PipelinePlan], diagnostics: [Diagnostic], refusal: String? = nil) {
        self.pipelines = pipelines
        self.diagnostics = diagnostics
        self.refusal = refusal
    }

    public var summary: PlanSummary { PlanSummary(self) }

    /// Whether applying the plan would change anything.
    public var hasChanges: Bool { summary.hasChanges }
}

/// The plan of one pipeline: its own change, and what happens to its files.
///
/// Saved in planfiles without `effective` (a spec can hold secret values) and `seen`: both are
/// recomputed when a plan is applied, and `show` renders neither.
public struct PipelinePlan: Sendable, Hashable, Codable {
    public var name: String
    /// The manifest file, when the pipeline has one.
    public var file: String?
    public var change: PipelineChange
    /// The spec files are processed with: the desired one, or the last applied one when the
    /// manifest is invalid. `nil` for a deleted pipeline.
    public var effective: Pipeline?
    public var files: [FileChange]
    /// Facts worth a line: a missing folder, files still settling, suspension.
    public var notes: [String]
    /// Moves and deletes owed to processed files, retried by `reconcile` (all) and the daemon (when due).
    public var fileActions: [PendingFileAction]
    /// What applying records as seen in the ledger: new contents, and known ones whose path
    /// changed or whose last-seen time is stale (see `LedgerEntry.needsRecording`).
    public var seen: [SeenContent] = []

    enum CodingKeys: String, CodingKey {
        case name, file, change, files, notes, fileActions
    }

    public init(
        name: String,
        file: String?,
        change: PipelineChange,
        effective: Pipeline?,
        files: [FileChange] = [],
        notes: [String] = [],
        fileActions: [PendingFileAction] = []
    ) {
        self.name = name
        self.file = file
        self.change = change
        self.effective = effective
        self.files = files
        self.notes = notes
        self.fileActions = fileActions
    }

    /// The files a reconcile runs now: new, re-uploaded, or failed and due.
    public var runnable: [FileChange] { files.filter(\.isRunnable) }
}

/// A content seen under a path, for the ledger's `recordSeen`.
public struct SeenContent: Sendable, Hashable {
    public var sha256: String
    public var path: String

    public init(sha256: String, path: String) {
        self.sha256 = sha256
        self.path = path
    }
}

/// What happens to a pipeline itself.
public enum PipelineChange: Sendable, Hashable {
    case create
    case update([FieldChange])
    case delete
    /// The manifest is invalid: the last applied spec (if any) stays in force.
    case invalid([Diagnostic])
    case unchanged

    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .delete: return "-"
        case .invalid: return "!"
        case .unchanged: return " "
        }
    }
}

/// One changed field of a pipeline's spec. A sensitive field's values are never carried.
public struct FieldChange: Sendable, Hashable, Codable {
    public var path: String
    public var old: String?
    public var new: String?
    public var sensitive: Bool

    public init(path: String, old: String?, new: String?, sensitive: Bool) {
        self.path = path
        self.old = sensitive ? nil : old
        self.new = sensitive ? nil : new
        self.sensitive = sensitive
    }
}

/// What happens to one file's content.
public struct FileChange: Sendable, Hashable, Codable {
    public var action: PlanAction
    /// Path relative to `watch.path`.
    public var path: String
    public var sha256: String
    /// For `skip`: when the content succeeded, and under which path.
    public var succeededAt: Date?
    public var succeededPath: String?
    /// For `retry`: when it is due; for `running`: when its owner's lease expires unless renewed.
    /// For `retry` and `quarantined`: attempts so far and last error.
    public var nextAttemptAt: Date?
    public var attempts: Int
    public var lastError: String?
    /// For `retry`: whether it is due at the plan's time.
    public var isDue: Bool
    /// For `skip`: another path of this plan with the same content, which runs instead.
    public var duplicateOf: String?

    public init(
        action: PlanAction,
        path: String,
        sha256: String,
        succeededAt: Date? = nil,
        succeededPath: String? = nil,
        nextAttemptAt: Date? = nil,
        attempts: Int = 0,
        lastError: String? = nil,
        isDue: Bool = false,
        duplicateOf: String? = nil
    ) {
        self.action = action
        self.path = path
        self.sha256 = sha256
        self.succeededAt = succeededAt
        self.succeededPath = succeededPath
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
        self.lastError = lastError
        self.isDue = isDue
        self.duplicateOf = duplicateOf
    }

    public var isRunnable: Bool {
        switch action {
        case .process, .reprocess: return true
        case .retry: return isDue
        case .skip, .quarantined, .running: return false
        }
    }
}

/// The file actions of a plan, with Terraform-like symbols.
public enum PlanAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// A new content.
    case process
    /// A known path with new content (a re-upload).
    case reprocess
    /// A content that already succeeded, whatever its name now.
    case skip
    /// A failed content, run again when due.
    case retry
    /// A content that failed too often; waits for `orchestrator retry`.
    case quarantined
    /// A content another process is running now.
    case running

    public var symbol: String {
        switch self {
        case .process: return "+"
        case .reprocess: return "~"
        case .skip: return "="
        case .retry: return "↻"
        case .quarantined: return "⊘"
        case .running: return "…"
        }
    }
}

/// The counts of a plan, for its last line and for CI.
public struct PlanSummary: Sendable, Hashable, Codable {
    public var pipelinesToCreate = 0
    public var pipelinesToUpdate = 0
    public var pipelinesToDelete = 0
    public var invalidManifests = 0
    public var filesToProcess = 0
    public var filesToReprocess = 0
    public var retriesDue = 0
    public var retriesLater = 0
    public var quarantined = 0
    public var running = 0
    public var skipped = 0
    public var fileActionsOwed = 0

    init(_ plan: Plan) {
        for pipeline in plan.pipelines {
            switch pipeline.change {
            case .create: pipelinesToCreate += 1
            case .update: pipelinesToUpdate += 1
            case .delete: pipelinesToDelete += 1
            case .invalid: invalidManifests += 1
            case .unchanged: break
            }
            fileActionsOwed += pipeline.fileActions.count
            for file in pipeline.files {
                switch file.action {
                case .process: filesToProcess += 1
                case .reprocess: filesToReprocess += 1
                case .retry: if file.isDue { retriesDue += 1 } else { retriesLater += 1 }
                case .quarantined: quarantined += 1
                case .running: running += 1
                case .skip: skipped += 1
                }
            }
        }
        invalidManifests = max(
            invalidManifests,
            Set(plan.diagnostics.filter { $0.severity == .error }.map(\.file)).count
        )
    }

    /// Whether applying would do anything.
    public var hasChanges: Bool {
        pipelinesToCreate + pipelinesToUpdate + pipelinesToDelete + filesToProcess + filesToReprocess + retriesDue
            + fileActionsOwed > 0
    }

    /// `Plan: 1 pipeline to create, 3 files to process, 12 skipped, 1 invalid manifest.`
    public var sentence: String {
        var parts: [String] = []
        func add(_ count: Int, _ singular: String, _ plural: String, _ rest: String) {
            if count > 0 { parts.append("\(count) \(count == 1 ? singular : plural)\(rest)") }
        }
        add(pipelinesToCreate, "pipeline", "pipelines", " to create")
        add(pipelinesToUpdate, "pipeline", "pipelines", " to update")
        add(pipelinesToDelete, "pipeline", "pipelines", " to delete")
        add(filesToProcess, "file", "files", " to process")
        add(filesToReprocess, "file", "files", " to reprocess")
        add(retriesDue, "retry", "retries", " due")
        add(retriesLater, "retry", "retries", " scheduled")
        add(fileActionsOwed, "file action", "file actions", " to retry")
        add(running, "file", "files", " running elsewhere")
        add(quarantined, "file", "files", " quarantined")
        add(skipped, "skipped", "skipped", "")
        add(invalidManifests, "invalid manifest", "invalid manifests", "")
        if !hasChanges && parts.isEmpty { return "No changes. Everything is up to date." }
        return (hasChanges ? "Plan: " : "No changes: ") + parts.joined(separator: ", ") + "."
    }
}
