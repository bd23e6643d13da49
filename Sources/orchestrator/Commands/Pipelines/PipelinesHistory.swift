import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines history NAME`: every version, who and when, and what changed.
struct PipelinesHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List every version of a database pipeline: who saved it, when, and its diff to the previous one."
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipeline's name.")
    var name: String

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() throws {
        let catalog = try state.catalog()
        let history: [PipelineCatalog.Version]
        do { history = try catalog.history(name) } catch { throw fail(error) }
        switch output {
        case .json: try Terminal.json(history)
        case .text:
            for version in history {
                let what = version.deleted ? " (deleted)" : ""
                Terminal.out(
                    "version \(version.version)\(what) by \(version.author.terminalSafe) at \(version.savedAt.ISO8601Format())"
                )
                if !version.diff.isEmpty { Terminal.out(version.diff.terminalSafe, terminator: "") }
            }
        }
    }
}
