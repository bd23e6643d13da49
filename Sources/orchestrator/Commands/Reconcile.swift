import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator reconcile`: converge once, then exit.
struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the plan once: record pipeline changes, run every pending content, then exit.",
        discussion: """
            Claims left by an orchestrator that died are recovered first: what they left running \
            is killed and their contents run again (execution is at-least-once; an idempotent \
            command makes it exactly-once in effect). onSuccess runs after a success, onFailure \
            once a content is quarantined, and only after the ledger has recorded the outcome. \
            Running it twice in a row, the second run does nothing. With a PLANFILE (from plan -o), \
            the pipeline changes applied are exactly the saved plan's, and it is refused ("stale plan") \
            when a manifest, a console suspension or the applied state changed since; files that \
            arrived meanwhile are processed by the applied specs as always. \
            Exit codes: 0 every run succeeded (or, with --dry-run, as plan); 1 a run failed, \
            invalid manifests, a refused plan or another error; 2 changes pending (--dry-run \
            with --detailed-exitcode); 64 bad usage; 130 interrupted (SIGINT or SIGTERM: the runs \
            going on are stopped and stay due). On a terminal, a progress line on standard \
            error shows the contents done of all, the failures, the rate and the time left.
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var planOptions: PlanOptions

    @Argument(
        help: "A planfile written by orchestrator plan -o, applied only while what it was planned from holds.",
        completion: .file()
    )
    var planfile: String?

    @Flag(help: "Print the plan and change nothing (the same as orchestrator plan).")
    var dryRun = false

    @Option(help: "Seconds a timed-out run may take to exit after SIGTERM before SIGKILL (as run --kill-grace).")
    var killGrace: Int = 10

    @Option(help: "Seconds a claim holds without renewal (as run --lease).")
    var lease = 60

    func run() async throws {
        let saved = try planfile.map(SavedPlan.read)
        let allowEmpty = saved?.allowEmpty ?? planOptions.allowEmpty
        let store = try state.openStore()
        let manifests = try state.loadManifests(database: store)
        if let saved {
            try refuseIfStale(
                saved.basis.staleness(
                    against: PlanBasis(
                        state: state.identity,
                        manifests: manifests,
                        applied: try store.appliedSpecs()
                    )
                )
            )
        }
        var applier: Applier?
        if !dryRun {
            let executor = Executor(logDirectory: state.localDirectory + "/logs", grace: .seconds(killGrace))
            let made = Applier(store: store, executor: executor, lease: TimeInterval(lease))
            let recovered = try await made.recover(now: Date())
            applier = made
            if recovered > 0 {
                Terminal.err(
                    "Recovered \(recovered) run\(recovered == 1 ? "" : "s") left by an orchestrator that stopped; they run again."
                )
            }
        }
        let plan = try await Blocking.run {
            try StateSnapshot(manifests: manifests, store: store, now: Date(), allowEmpty: allowEmpty).plan
        }
        if let saved { try refuseIfStale(saved.differences(from: plan)) }
        try planOptions.output.print(plan)
        guard var applier else { throw planOptions.output.exitCode(for: plan) }
        if let refusal = plan.refusal {
            Terminal.err("Error: \(refusal)")
            throw ExitCode.failure
        }
        let meter = RunMeter(total: plan.pipelines.reduce(0) { $0 + $1.runnable.count })
        if let meter { applier.onFinished = { meter.finished($0.outcome.isSuccess) } }
        let (report, interrupted) = try await Interruption.run {
            meter?.clear()
            Terminal.err("Interrupted: stopping the runs going on; they stay due. Again to quit at once.")
        } _: { [applier] in
            try await applier.apply(plan, now: Date())
        }
        meter?.clear()
        for run in report.runs {
            let mark = run.outcome.isSuccess ? "✓" : "✗"
            var line = "\(mark) \(run.pipeline)/\(run.path): \(run.outcome.description)"
            if !run.outcome.isSuccess { line += " (\(run.state.rawValue); log: \(run.logFile))" }
            Terminal.out(line.terminalSafe)
        }
        report.fileActionProblems.forEach { Terminal.err("warning: \($0.terminalSafe)") }
        let quarantined = report.runs.filter { $0.state == .quarantined }.count
        Terminal.out(
            "Reconciled: \(report.succeeded) succeeded, \(report.failed) failed\(quarantined > 0 ? " (\(quarantined) quarantined)" : "")."
        )
        if interrupted { throw ExitCode(130) }
        if !report.allSucceeded || plan.diagnostics.hasErrors { throw ExitCode.failure }
    }

    private func refuseIfStale(_ reasons: [String]) throws {
        guard !reasons.isEmpty else { return }
        Terminal.err("error: stale plan: \(reasons.joined(separator: "; ").terminalSafe); plan again")
        throw ExitCode.failure
    }
}
