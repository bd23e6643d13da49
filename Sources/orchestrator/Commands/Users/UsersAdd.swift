import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator users add NAME --role ROLE`: adds a user; the password comes from stdin or a prompt.
struct UsersAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a console user.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The user name (letters, digits, . _ - @).")
    var name: String

    @Option(help: "viewer, uploader, operator or admin.")
    var role: Role = .viewer

    @Option(name: .customLong("grant"), help: "A pipeline an uploader may upload to (repeat for several).")
    var grants: [String] = []

    func run() throws {
        guard UserAccount.isValidName(name) else {
            Terminal.err("error: \(name.terminalSafe): a user name is 1 to 64 letters, digits, '.', '_', '-' or '@'")
            throw ExitCode.failure
        }
        let store = try state.openStore()
        if try store.user(named: name) != nil {
            Terminal.err("error: user \(name) exists; use `users passwd` to change the password")
            throw ExitCode.failure
        }
        let password = try readPassword(prompt: "Password for \(name): ")
        try store.saveUser(
            UserAccount(name: name, role: role, passwordHash: hashPassword(password), grants: Set(grants))
        )
        try store.appendAudit(
            AuditEvent(at: Date(), user: "cli", action: .userAdd, target: name, detail: role.rawValue)
        )
        Terminal.out("user \(name) added (\(role))")
    }
}

extension Role: ExpressibleByArgument {}
