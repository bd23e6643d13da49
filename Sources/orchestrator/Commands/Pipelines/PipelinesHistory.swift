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

    struct Row: Encodable {
        var version: Int
        var author: String
        var savedAt: Date
        var deleted: Bool
        var diff: String
    }

    func run() throws {
        let history: [(version: StoredPipeline, diff: String)]
        let catalog = try state.catalog()
        do { history = try catalog.history(name) } catch { throw fail(error) }
        switch output {
        case .json:
            try Terminal.json(
                history.map {
                    Row(
                        version: $0.version.version,
                        author: $0.version.author,
                        savedAt: $0.version.savedAt,
                        deleted: $0.version.deleted,
                        diff: $0.diff
                    )
                }
            )
        case .text:
            for (version, diff) in history {
                let what = version.deleted ? " (deleted)" : ""
                Terminal.out(
                    "version \(version.version)\(what) by \(version.author.terminalSafe) at \(version.savedAt.ISO8601Format())"
                )
                if !diff.isEmpty { Terminal.out(diff.terminalSafe, terminator: "") }
            }
        }
    }
}
