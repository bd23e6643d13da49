import ArgumentParser

/// The `orchestrator` command: drop folders turned into idempotent ETL pipelines.
@main
struct Orchestrator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Turn drop folders into idempotent ETL pipelines, described by YAML manifests.",
        discussion: """
            Exit codes: 0 success; 1 invalid input (manifests, legacy configs) or a failed run; \
            64 bad command-line usage.
            """,
        version: "0.6.0",
        subcommands: [
            Validate.self, Convert.self, PlanCommand.self, Show.self, DiffCommand.self, Reconcile.self, Run.self,
            Status.self, LedgerCommand.self,
            RetryCommand.self, ForgetCommand.self, PipelinesCommand.self, UsersCommand.self,
            StateCommand.self,
        ]
    )
}
