import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator status`: each pipeline's applied generation, condition, counts and last runs.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each pipeline: applied generation, condition, contents by state, last runs.",
        discussion:
            "Reads the state only; safe while another orchestrator runs. Exit codes: 0 shown; 1 error; 64 bad usage."
    )

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "How many recent runs to show per pipeline.")
    var runs = 3

    struct PipelineStatus: Encodable {
        var name: String
        /// The plan's symbol for the pipeline: `!` invalid manifest, `+` not applied yet, `~` changes pending, `-` manifest removed.
        var symbol: String
        var manifest: String?
        var generation: Int?
        var condition: String
        var reason: String?
        var message: String?
        var contents: [String: Int]
        /// Moves and deletes still owed to processed files, with their last error.
        var fileActions: [OwedAction]
        var lastRuns: [RunSummary]
    }

    /// A path that is not UTF-8 shows its bytes as `\xe9` in `path`, exactly in `path_bytes`.
    struct OwedAction: Encodable {
        var path: String
        var pathBytes: String?
        var action: FileAction
        var sha256: String
        var attempts: Int
        var lastError: String?
        var createdAt: Date
        var nextAttemptAt: Date

        init(_ owed: PendingFileAction) {
            path = owed.path.jsonDisplay
            pathBytes = owed.path.base64Bytes
            action = owed.action
            sha256 = owed.sha256
            attempts = owed.attempts
            lastError = owed.lastError
            createdAt = owed.createdAt
            nextAttemptAt = owed.nextAttemptAt
        }
    }

    struct RunSummary: Encodable {
        var id: String
        var path: String
        var pathBytes: String?
        var startedAt: Date
        var outcome: String
        var logFile: String
    }

    func run() throws {
        let store = try state.openStore()
        let manifests = try state.loadManifests(database: store)
        let applied = try store.appliedSpecs()
        let generations = Dictionary(applied.map { ($0.name, $0.generation) }, uniquingKeysWith: { first, _ in first })
        // The planner decides what each pipeline's manifest means, as it does for plan and reconcile.
        let owed = Dictionary(grouping: try store.pendingFileActions(pipeline: nil), by: \.pipeline)
        let plan = Planner.plan(
            Planner.Input(
                manifests: manifests,
                applied: applied,
                observed: [:],
                ledgers: [:],
                fileActions: owed,
                now: Date(),
                allowEmpty: true
            )
        )
        var statuses: [PipelineStatus] = []
        for pipeline in plan.pipelines {
            let name = pipeline.name
            var status = PipelineStatus(
                name: name,
                symbol: pipeline.change.symbol,
                manifest: pipeline.file,
                generation: generations[name],
                condition: "Ready=True",
                contents: [:],
                fileActions: pipeline.fileActions.map(OwedAction.init),
                lastRuns: []
            )
            switch pipeline.change {
            case .invalid(let diagnostics):
                status.condition = "Ready=False"
                status.reason = "InvalidManifest"
                status.message = (diagnostics.map(\.description) + pipeline.notes).map(\.terminalSafe).joined(
                    separator: "\n    "
                )
            case .delete:
                status.condition = "Ready=False"
                status.reason = "ManifestRemoved"
            case .create:
                status.condition = "Ready=Unknown"
                status.reason = "NotApplied"
            case .update:
                status.condition = "Ready=Unknown"
                status.reason = "ChangesPending"
            case .unchanged:
                break
            }
            for entry in try store.ledger(pipeline: name).values {
                status.contents[entry.state.rawValue, default: 0] += 1
            }
            status.lastRuns = try store.runs(pipeline: name, limit: runs).map {
                RunSummary(
                    id: $0.id,
                    path: $0.path.jsonDisplay,
                    pathBytes: $0.path.base64Bytes,
                    startedAt: $0.startedAt,
                    outcome: $0.outcome?.description ?? "running",
                    logFile: $0.logFile
                )
            }
            statuses.append(status)
        }
        switch output {
        case .json:
            try Terminal.json(statuses)
        case .text:
            if statuses.isEmpty { Terminal.out("No pipelines.") }
            let owedActions = Dictionary(
                plan.pipelines.map { ($0.name, $0.fileActions) },
                uniquingKeysWith: { first, _ in first }
            )
            for status in statuses {
                let generation = status.generation.map { "generation \($0)" } ?? "never applied"
                Terminal.out(
                    "\(status.symbol) \(status.name) (\(status.manifest?.terminalSafe ?? "no manifest")): \(status.condition)\(status.reason.map { " \($0)" } ?? ""), \(generation)"
                )
                if let message = status.message { Terminal.out("    \(message)") }
                let counts = LedgerState.allCases.compactMap { state in
                    status.contents[state.rawValue].map { "\($0) \(state.rawValue)" }
                }
                Terminal.out("    contents: \(counts.isEmpty ? "none" : counts.joined(separator: ", "))")
                if !status.fileActions.isEmpty {
                    Terminal.out("    file actions owed: \(status.fileActions.count)")
                    for owed in (owedActions[status.name] ?? []).prefix(runs) {
                        Terminal.out(
                            "    \(PlanText.fileActionSymbol) \(owed.path.terminalSafe)  \(PlanText.detail(owed).terminalSafe)"
                        )
                    }
                }
                for run in status.lastRuns {
                    Terminal.out("    run \(run.id) \(run.path.terminalSafe): \(run.outcome)")
                }
            }
        }
    }
}
