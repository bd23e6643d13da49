import Foundation
import YAML

/// The planner: a pure function of the desired state (manifests, valid or not), the applied
/// specs, the observed folders and the ledgers, giving a `Plan`. No clock and no I/O: the time
/// is an input, so the same inputs always give the same plan, and `reconcile` executes the very
/// plan that `plan` prints.
public enum Planner {
    public struct Input: Sendable {
        public var manifests: ManifestSet
        public var applied: [AppliedSpec]
        /// By pipeline name, for every pipeline of `effectivePipelines`.
        public var observed: [String: ObservedFolder]
        /// By pipeline name, then content SHA-256.
        public var ledgers: [String: [String: LedgerEntry]]
        /// By pipeline name: the file actions the ledger still owes.
        public var fileActions: [String: [PendingFileAction]]
        public var now: Date
        /// Allows a plan that deletes every applied pipeline because no manifest is left.
        public var allowEmpty: Bool

        public init(
            manifests: ManifestSet,
            applied: [AppliedSpec],
            observed: [String: ObservedFolder],
            ledgers: [String: [String: LedgerEntry]],
            fileActions: [String: [PendingFileAction]] = [:],
            now: Date,
            allowEmpty: Bool = false
        ) {
            self.manifests = manifests
            self.applied = applied
            self.observed = observed
            self.ledgers = ledgers
            self.fileActions = fileActions
            self.now = now
            self.allowEmpty = allowEmpty
        }
    }

    /// The pipelines whose folders matter: each valid manifest, and the last applied spec of a
    /// pipeline kept in force (see `kept`). Observe these before planning.
    public static func effectivePipelines(
        _ manifests: ManifestSet,
        applied: [AppliedSpec]
    ) -> [(pipeline: Pipeline, file: String)] {
        var result = manifests.pipelines
        let desired = Set(result.map(\.pipeline.name))
        for spec in applied where !desired.contains(spec.name) && kept(spec, manifests) != nil {
            result.append((spec.pipeline, spec.file))
        }
        return result.sorted { $0.pipeline.name < $1.pipeline.name }
    }

    /// Why an applied pipeline that no valid manifest declares stays in force, as the errors
    /// to show: a document that claims its name is invalid, or the file it was applied from
    /// exists but does not read cleanly. `nil` when nothing keeps it: its file is gone, or reads
    /// cleanly and no longer declares it, and only then may it be deleted.
    static func kept(_ spec: AppliedSpec, _ manifests: ManifestSet) -> [Diagnostic]? {
        if let document = manifests.documents.first(where: { !$0.isValid && $0.name == spec.name }) {
            return document.diagnostics.filter { $0.severity == .error }
        }
        return manifests.brokenFiles[ManifestSet.fileName(spec.file)]
    }

    public static func plan(_ input: Input) -> Plan {
        let applied = Dictionary(input.applied.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var plans: [PipelinePlan] = []
        var planned: Set<String> = []

        for (pipeline, file) in input.manifests.pipelines {
            planned.insert(pipeline.name)
            let change: PipelineChange
            if let previous = applied[pipeline.name] {
                var fields = SpecDiff.changes(from: previous.pipeline, to: pipeline)
                if ManifestSet.fileName(previous.file) != ManifestSet.fileName(file) {
                    fields.insert(FieldChange(path: "manifest", old: previous.file, new: file, sensitive: false), at: 0)
                }
                change = fields.isEmpty ? .unchanged : .update(fields)
            } else {
                change = .create
            }
            plans.append(
                planFiles(PipelinePlan(name: pipeline.name, file: file, change: change, effective: pipeline), input)
            )
        }
        for document in input.manifests.documents where !document.isValid {
            guard let name = document.name, !planned.contains(name) else { continue }
            planned.insert(name)
            let diagnostics = document.diagnostics.filter { $0.severity == .error }
            plans.append(planFiles(invalid(name, file: document.file, diagnostics, applied: applied[name]), input))
        }
        for spec in input.applied where !planned.contains(spec.name) {
            planned.insert(spec.name)
            if let diagnostics = kept(spec, input.manifests) {
                var plan = invalid(spec.name, file: spec.file, diagnostics, applied: spec)
                plan.notes.insert(
                    "its manifest file does not read cleanly: nobody can tell what it declares now",
                    at: 0
                )
                plans.append(planFiles(plan, input))
            } else {
                plans.append(
                    PipelinePlan(
                        name: spec.name,
                        file: spec.file,
                        change: .delete,
                        effective: nil,
                        notes: ["its manifest is gone; its ledger is kept"]
                    )
                )
            }
        }
        var refusal: String?
        let deletions = plans.filter { $0.change == .delete }.count
        if input.manifests.documents.isEmpty, deletions > 0, deletions == input.applied.count, !input.allowEmpty {
            refusal =
                "no manifest found, but \(deletions) pipeline\(deletions == 1 ? " is" : "s are") applied: refusing to delete everything (is the folder right? pass --allow-empty to confirm)"
        }
        return Plan(
            pipelines: plans.sorted { $0.name < $1.name },
            diagnostics: input.manifests.diagnostics,
            refusal: refusal
        )
    }

    /// The plan of a pipeline whose manifest cannot be used: the last applied spec, if any, stays in force.
    private static func invalid(
        _ name: String,
        file: String,
        _ diagnostics: [Diagnostic],
        applied: AppliedSpec?
    ) -> PipelinePlan {
        PipelinePlan(
            name: name,
            file: file,
            change: .invalid(diagnostics),
            effective: applied?.pipeline,
            notes: [
                applied.map { "the last applied spec (generation \($0.generation)) stays in force" }
                    ?? "never applied: nothing runs until the manifest is fixed"
            ]
        )
    }

    private static func planFiles(_ plan: PipelinePlan, _ input: Input) -> PipelinePlan {
        var plan = plan
        plan.fileActions = plan.effective == nil ? [] : input.fileActions[plan.name] ?? []
        guard let folder = input.observed[plan.name] else { return plan }
        return planFiles(plan, folder: folder, ledger: input.ledgers[plan.name] ?? [:], now: input.now)
    }

    /// Classifies the observed files of one pipeline against its ledger: what the daemon does
    /// for a single pipeline when an event says its folder changed.
    public static func planFiles(
        _ plan: PipelinePlan,
        folder: ObservedFolder,
        ledger: [String: LedgerEntry],
        now: Date
    ) -> PipelinePlan {
        var plan = plan
        guard let pipeline = plan.effective else { return plan }
        if let problem = folder.problem { plan.notes.append(problem) }
        if folder.ignoredLinks > 0 {
            plan.notes.append(
                "\(folder.ignoredLinks) symbolic link\(folder.ignoredLinks == 1 ? "" : "s") inside the folder ignored (links are not followed; watch.path itself may be one)"
            )
        }
        var firstPathOfContent: [String: String] = [:]
        firstPathOfContent.reserveCapacity(folder.files.count)
        plan.files.reserveCapacity(folder.files.count)
        var settling = 0, empty = 0
        let inOrder = zip(folder.files, folder.files.dropFirst()).allSatisfy { $0.path < $1.path }
        for file in inOrder ? folder.files : folder.files.sorted(by: { $0.path < $1.path }) {
            switch file.status {
            case .settling:
                settling += 1
                continue
            case .empty:
                empty += 1
                continue
            case .ready: break
            }
            guard let sha = file.sha256 else { continue }
            if let first = firstPathOfContent[sha] {
                plan.files.append(FileChange(action: .skip, path: file.path, sha256: sha, duplicateOf: first))
                continue
            }
            firstPathOfContent[sha] = file.path
            let entry = ledger[sha]
            plan.files.append(change(for: file, sha: sha, entry: entry, now: now))
            if entry?.needsRecording(seenAt: file.path, at: now) ?? true {
                plan.seen.append(SeenContent(sha256: sha, path: file.path))
            }
        }
        if settling > 0 {
            plan.notes.append(
                "\(settling) file\(settling == 1 ? " is" : "s are") still being written (settle \(pipeline.spec.watch.settle))"
            )
        }
        if empty > 0 { plan.notes.append("\(empty) empty file\(empty == 1 ? "" : "s") skipped") }
        if pipeline.spec.suspend {
            let waiting = plan.files.filter(\.isRunnable).count
            plan.files.removeAll(where: \.isRunnable)
            plan.notes.append("suspended: \(waiting) file\(waiting == 1 ? "" : "s") wait\(waiting == 1 ? "s" : "")")
        }
        return plan
    }

    private static func change(for file: ObservedFile, sha: String, entry: LedgerEntry?, now: Date) -> FileChange {
        let fresh: PlanAction = file.previousSHA256 != nil && file.previousSHA256 != sha ? .reprocess : .process
        guard let entry else { return FileChange(action: fresh, path: file.path, sha256: sha) }
        switch entry.state {
        case .pending:
            return FileChange(action: fresh, path: file.path, sha256: sha)
        case .running where entry.leaseExpired(at: now):
            // Its owner stopped renewing the claim (it died, froze, or lost the database).
            return FileChange(
                action: .retry,
                path: file.path,
                sha256: sha,
                attempts: entry.attempts,
                lastError: "the lease of \(entry.owner ?? "its owner") expired",
                isDue: true
            )
        case .running:
            // When its lease would expire: the time to look again, should its owner stop renewing it.
            return FileChange(
                action: .running,
                path: file.path,
                sha256: sha,
                nextAttemptAt: entry.leaseUntil,
                attempts: entry.attempts
            )
        case .succeeded:
            return FileChange(
                action: .skip,
                path: file.path,
                sha256: sha,
                succeededAt: entry.succeededAt,
                succeededPath: entry.succeededPath
            )
        case .failed:
            let due = entry.nextAttemptAt.map { $0 <= now } ?? true
            return FileChange(
                action: .retry,
                path: file.path,
                sha256: sha,
                nextAttemptAt: entry.nextAttemptAt,
                attempts: entry.attempts,
                lastError: entry.lastError,
                isDue: due
            )
        case .quarantined:
            return FileChange(
                action: .quarantined,
                path: file.path,
                sha256: sha,
                attempts: entry.attempts,
                lastError: entry.lastError
            )
        }
    }
}

/// Field-level differences between two specs, with sensitive values hidden.
public enum SpecDiff {
    public static func changes(from old: Pipeline, to new: Pipeline) -> [FieldChange] {
        guard old != new else { return [] }
        let before = flatten(old), after = flatten(new)
        let redactor = Redactor(specs: [old, new])
        let paths = Set(before.keys).union(after.keys).sorted()
        return paths.compactMap { path in
            guard before[path] != after[path] else { return nil }
            return FieldChange(
                path: path,
                old: before[path].map(redactor.redact),
                new: after[path].map(redactor.redact),
                sensitive: isSensitive(path)
            )
        }
    }

    /// Every scalar of the pipeline's manifest form, by path (`spec.watch.include[0]`).
    static func flatten(_ pipeline: Pipeline) -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ node: Node, _ path: String) {
            switch node.content {
            case .scalar(let scalar): result[path] = scalar.text
            case .sequence(let items):
                if items.isEmpty { result[path] = "[]" }
                for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
            case .mapping(let pairs):
                for pair in pairs {
                    walk(
                        pair.value,
                        path.isEmpty ? pair.key.scalar?.text ?? "" : "\(path).\(pair.key.scalar?.text ?? "")"
                    )
                }
            }
        }
        if let node = try? YAMLEncoder(userInfo: [.includeDefaults: true]).encode(pipeline) { walk(node, "") }
        return result
    }

    /// A literal value of an env key whose name suggests a secret.
    static func isSensitive(_ path: String) -> Bool {
        let prefix = "spec.run.env."
        guard path.hasPrefix(prefix) else { return false }
        let name = String(path.dropFirst(prefix.count).prefix { $0 != "." })
        return Environment.looksSensitive(name) && !path.hasSuffix(".fromEnv")
    }
}
