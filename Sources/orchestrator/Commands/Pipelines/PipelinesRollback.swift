import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines rollback NAME VERSION`: saves an earlier version's text as the newest.
struct PipelinesRollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Make an earlier version of a database pipeline current again (as a new version).",
        discussion: "Works on a deleted pipeline too: it comes back with that version's text."
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var author: AuthorOption

    @Argument(help: "The pipeline's name.")
    var name: String

    @Argument(help: "The version to return to (see `pipelines history`).")
    var version: Int

    func run() throws {
        let catalog = try state.catalog()
        do {
            let stored = try catalog.rollback(name: name, to: version, author: author.name)
            Terminal.out("\(name): version \(stored.version) (the text of version \(version))")
        } catch { throw fail(error) }
    }
}
