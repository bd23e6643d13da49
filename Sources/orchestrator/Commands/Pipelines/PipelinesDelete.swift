import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines delete NAME`: deletes a database pipeline (a new, empty version).
struct PipelinesDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a database pipeline. Its versions and its ledger are kept; `rollback` restores it."
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var author: AuthorOption

    @Argument(help: "The pipeline's name.")
    var name: String

    func run() throws {
        let catalog = try state.catalog()
        let current = try catalog.store.storedPipelines().first { $0.name == name }
        do {
            let stored = try catalog.delete(name: name, author: author.name, basedOn: current?.version)
            Terminal.out("\(name): deleted (version \(stored.version))")
        } catch { throw fail(error) }
    }
}
