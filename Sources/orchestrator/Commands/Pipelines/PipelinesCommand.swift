import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines …`: the pipelines of both sources, and the database ones' versions.
struct PipelinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines",
        abstract: "List pipelines from git and the database; manage the database ones.",
        discussion: """
            Pipelines come from two sources: manifest files in the pipelines folder (git), and \
            manifests stored in the state database (made in the console, or imported). Database \
            pipelines keep every version. Exit codes: 0 done; 1 error (invalid manifest, unknown \
            pipeline, a name managed by git); 64 bad usage.
            """,
        subcommands: [
            PipelinesList.self, PipelinesShow.self, PipelinesHistory.self, PipelinesExport.self, PipelinesImport.self,
            PipelinesDelete.self, PipelinesRollback.self,
        ]
    )
}

extension StateOptions {
    /// The catalog of database pipelines, or exit with a clear message.
    func catalog() throws -> PipelineCatalog {
        PipelineCatalog(store: try openStore(), gitFolder: pipelines)
    }
}

/// Who a change made from the command line is recorded as.
struct AuthorOption: ParsableArguments {
    @Option(help: "Who the change is recorded as, in the history and the audit (default: $USER).")
    var author: String?

    var name: String { author ?? ProcessInfo.processInfo.environment["USER"].map { "cli:" + $0 } ?? "cli" }
}

/// Exits 1 with the catalog's refusal on standard error.
func fail(_ error: CatalogError) -> ExitCode {
    Terminal.err("error: \(error)")
    return .failure
}
