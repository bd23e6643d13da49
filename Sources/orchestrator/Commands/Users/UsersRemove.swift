import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator users remove NAME`.
struct UsersRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a console user.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The user name.")
    var name: String

    func run() throws {
        let store = try state.openStore()
        guard try store.removeUser(name) else {
            Terminal.err("error: no user \(name.terminalSafe)")
            throw ExitCode.failure
        }
        try store.appendAudit(AuditEvent(at: Date(), user: "cli", action: .userRemove, target: name))
        Terminal.out("user \(name) removed")
    }
}
