import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator users passwd NAME`: sets a new password (stdin or a prompt).
struct UsersPasswd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set a user's password.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The user name.")
    var name: String

    func run() throws {
        let store = try state.openStore()
        guard var user = try store.user(named: name) else {
            Terminal.err("error: no user \(name.terminalSafe)")
            throw ExitCode.failure
        }
        user.passwordHash = hashPassword(try readPassword(prompt: "New password for \(name): "))
        try store.saveUser(user)
        try store.appendAudit(AuditEvent(at: Date(), user: "cli", action: .userPassword, target: name))
        Terminal.out("password of \(name) changed")
    }
}
