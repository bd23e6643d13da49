import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines show NAME`: a database pipeline's current manifest text.
struct PipelinesShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a pipeline's manifest: the database's current version, or the git file's name."
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipeline's name.")
    var name: String

    @Option(help: "Print this version instead of the current one.")
    var version: Int?

    func run() throws {
        let catalog = try state.catalog()
        let history: [PipelineCatalog.Version]
        do { history = try catalog.history(name) } catch {
            if let file = catalog.gitFile(declaring: name) {
                Terminal.out("# pipeline \(name) is managed by git: \(file)")
                return
            }
            throw fail(error)
        }
        guard let chosen = version.map({ wanted in history.first { $0.version == wanted } }) ?? history.last
        else { throw fail(.store(.noSuchVersion(name: name, version: version ?? 0))) }
        if chosen.deleted {
            Terminal.err(
                "pipeline \(name) was deleted at version \(chosen.version); see `orchestrator pipelines history \(name)`"
            )
            throw ExitCode.failure
        }
        Terminal.out(chosen.text, terminator: chosen.text.hasSuffix("\n") ? "" : "\n")
    }
}
