import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator status`: each pipeline's applied generation, condition, counts and last runs.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each pipeline: applied generation, condition, contents by state, last runs.",
        discussion: "Reads the state only; safe while another orchestrator runs. Exit codes: 0 shown; 1 error; 64 bad usage."
    )

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "How many recent runs to show per pipeline.")
    var runs = 3

    struct PipelineStatus: Encodable {
        var name: String
        var manifest: String?
        var generation: Int?
        var condition: String
        var reason: String?
        var message: String?
        var contents: [String: Int]
        var lastRuns: [RunSummary]
    }

    struct RunSummary: Encodable {
        var id: String
        var path: String
        var startedAt: Date
        var outcome: String
        var logFile: String
    }

    func run() throws {
        let manifests = try state.loadManifests()
        let store = try state.openStore()
        let applied = Dictionary(try store.appliedSpecs().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var names = Set(applied.keys)
        manifests.documents.compactMap(\.name).forEach { names.insert($0) }
        var statuses: [PipelineStatus] = []
        for name in names.sorted() {
            let document = manifests.documents.first { $0.name == name }
            var status = PipelineStatus(name: name, manifest: document?.file ?? applied[name]?.file, generation: applied[name]?.generation,
                                        condition: "Ready=True", contents: [:], lastRuns: [])
            if let document, !document.isValid {
                status.condition = "Ready=False"
                status.reason = "InvalidManifest"
                status.message = document.diagnostics.first { $0.severity == .error }?.description
            } else if document == nil {
                status.condition = "Ready=False"
                status.reason = "ManifestRemoved"
            } else if applied[name] == nil {
                status.condition = "Ready=Unknown"
                status.reason = "NotApplied"
            } else if applied[name]?.pipeline != document?.pipeline {
                status.condition = "Ready=Unknown"
                status.reason = "ChangesPending"
            }
            for entry in try store.ledger(pipeline: name).values { status.contents[entry.state.rawValue, default: 0] += 1 }
            status.lastRuns = try store.runs(pipeline: name, limit: runs).map {
                RunSummary(id: $0.id, path: $0.path, startedAt: $0.startedAt, outcome: $0.outcome?.description ?? "running", logFile: $0.logFile)
            }
            statuses.append(status)
        }
        switch output {
        case .json:
            try Terminal.json(statuses)
        case .text:
            if statuses.isEmpty { Terminal.out("No pipelines.") }
            for status in statuses {
                let generation = status.generation.map { "generation \($0)" } ?? "never applied"
                Terminal.out("\(status.name) (\(status.manifest ?? "no manifest")): \(status.condition)\(status.reason.map { " \($0)" } ?? ""), \(generation)")
                if let message = status.message { Terminal.out("    \(message)") }
                let counts = LedgerState.allCases.compactMap { state in status.contents[state.rawValue].map { "\($0) \(state.rawValue)" } }
                Terminal.out("    contents: \(counts.isEmpty ? "none" : counts.joined(separator: ", "))")
                for run in status.lastRuns {
                    Terminal.out("    run \(run.id) \(run.path): \(run.outcome)")
                }
            }
        }
    }
}
