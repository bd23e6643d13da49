import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator plan`: what `reconcile` would change, without changing it.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what reconcile would change (the same as reconcile --dry-run).",
        discussion: """
            Pipelines: + create, ~ update (field by field; secrets show as (sensitive value changed)), \
            - delete, ! invalid manifest (its last applied spec stays in force). Files: + process, \
            ~ reprocess (a known path with new content), = skip (content already succeeded), \
            ↻ retry, ⊘ quarantined. Planning never writes to the ledger (it refreshes the stat cache). \
            Exit codes: 0 planned (or, with --detailed-exitcode, nothing to do); 2 changes pending \
            (--detailed-exitcode only); 1 invalid manifests, a refused plan or another error; 64 bad usage.
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var planOptions: PlanOptions

    func run() throws {
        let plan = try makePlan(state, planOptions)
        try planOptions.print(plan)
        throw planOptions.exitCode(for: plan)
    }
}

/// Loads manifests and state, observes the folders, and plans: shared by plan and reconcile,
/// so that a dry run is the real run's own first half.
func makePlan(_ state: StateOptions, _ options: PlanOptions) throws -> Plan {
    let store = try state.openStore()
    let manifests = try state.loadManifests(database: store)
    return try StateSnapshot(manifests: manifests, store: store, now: Date(), allowEmpty: options.allowEmpty).plan
}
