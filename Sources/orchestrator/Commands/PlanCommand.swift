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
            With -o PLANFILE the plan is saved with what it was computed from; orchestrator reconcile \
            PLANFILE applies it while that still holds. \
            Exit codes: 0 planned (or, with --detailed-exitcode, nothing to do); 2 changes pending \
            (--detailed-exitcode only); 1 invalid manifests, a refused plan or another error; 64 bad usage.
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var planOptions: PlanOptions

    @Option(
        name: [.customShort("o"), .customLong("out")],
        help: ArgumentHelp(
            "Save the plan to this file (JSON, no secret value), for orchestrator reconcile PLANFILE and show.",
            valueName: "planfile"
        ),
        completion: .file()
    )
    var planfile: String?

    func validate() throws {
        if let planfile, PlanFormat(rawValue: planfile) != nil {
            throw ValidationError(
                "-o names the planfile to write; for the \(planfile) format, use --output \(planfile)"
            )
        }
    }

    func run() throws {
        let store = try state.openStore()
        let manifests = try state.loadManifests(database: store)
        let snapshot = try StateSnapshot(
            manifests: manifests,
            store: store,
            now: Date(),
            allowEmpty: planOptions.allowEmpty
        )
        let plan = snapshot.plan
        try planOptions.output.print(plan)
        if let planfile {
            let saved = SavedPlan(
                plan: plan,
                basis: PlanBasis(state: state.identity, manifests: manifests, applied: snapshot.input.applied),
                pipelines: state.pipelines,
                allowEmpty: planOptions.allowEmpty,
                createdAt: snapshot.input.now
            )
            do {
                try saved.encoded().write(to: URL(fileURLWithPath: planfile), options: .atomic)
            } catch {
                Terminal.err(
                    "\(planfile.terminalSafe): error: cannot write the planfile: \(error.localizedDescription)"
                )
                throw ExitCode.failure
            }
            Terminal.err(
                "Saved the plan to \(planfile.terminalSafe); apply it with: orchestrator reconcile \(planfile.terminalSafe)"
            )
        }
        throw planOptions.output.exitCode(for: plan)
    }
}
