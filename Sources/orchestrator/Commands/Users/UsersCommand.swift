import ArgumentParser
import Foundation
import HummingbirdBcrypt
import Model
import Reconciler

/// `orchestrator users …`: the console's local users.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the console's local users (bcrypt password hashes in the state database).",
        discussion: """
            Roles: viewer (read), uploader (upload to its granted pipelines), operator (retry, forget), \
            admin (edit pipelines, manage users). Passwords are read from standard input (one line) \
            or a prompt, never from an argument. Exit codes: 0 done; 1 error; 64 bad usage.
            """,
        subcommands: [UsersAdd.self, UsersRemove.self, UsersPasswd.self, UsersList.self]
    )
}

/// Reads a password from the terminal without echo, or one line of standard input.
func readPassword(prompt: String) throws -> String {
    let password: String?
    if isatty(STDIN_FILENO) == 1 {
        password = getpass(prompt).map { String(cString: $0) }
    } else {
        password = readLine(strippingNewline: true)
    }
    guard let password, password.count >= 8 else {
        Terminal.err("error: a password of at least 8 characters is needed (on standard input or at the prompt)")
        throw ExitCode.failure
    }
    return password
}

/// The bcrypt hash of `password`, at the cost the console verifies.
func hashPassword(_ password: String) -> String { Bcrypt.hash(password, cost: 11) }
