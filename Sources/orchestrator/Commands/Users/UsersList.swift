import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator users list`: names, roles and grants (never hashes).
struct UsersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the console users and their roles."
    )

    @OptionGroup var state: StateOptions

    func run() throws {
        for user in try state.openStore().users() {
            let grants = user.grants.isEmpty ? "" : "\t" + user.grants.sorted().joined(separator: ",")
            Terminal.out("\(user.name)\t\(user.role)\(grants)")
        }
    }
}
