import ArgumentParser

/// `orchestrator state …`: the state store itself.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Work on the state store itself (move it from SQLite to PostgreSQL).",
        subcommands: [StateCopyCommand.self]
    )
}
