import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines list`: every pipeline of both sources, with its source.
struct PipelinesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every pipeline with its source (git file or database version) and validity."
    )

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    struct Row: Encodable {
        var name: String
        var source: ManifestSource
        var file: String
        var version: Int?
        var valid: Bool
    }

    func run() throws {
        let store = try state.openStore()
        let manifests = try state.loadManifests(database: store)
        let versions = Dictionary(
            try store.storedPipelines().map { ($0.name, $0.version) },
            uniquingKeysWith: { first, _ in first }
        )
        let rows = manifests.documents.compactMap { document -> Row? in
            guard let name = document.name else { return nil }
            let source = ManifestSource(file: document.file)
            return Row(
                name: name,
                source: source,
                file: document.file,
                version: source == .database ? versions[name] : nil,
                valid: document.isValid
            )
        }
        switch output {
        case .json: try Terminal.json(rows)
        case .text:
            for row in rows {
                let origin = row.version.map { "database v\($0)" } ?? "git \(row.file)"
                Terminal.out("\(row.name.terminalSafe)\t\(origin.terminalSafe)\(row.valid ? "" : "\tinvalid")")
            }
        }
    }
}
