import ArgumentParser
import Model

/// `orchestrator show PLANFILE`: a saved plan, as plan printed it or for review.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a planfile saved by plan -o (text, json or markdown), without reading the state.",
        discussion: """
            The JSON output is the plan's own (see docs/plans.md and schema/plan.schema.json) with a \
            saved_plan object: when, from which pipelines folder and against which state it was made, \
            with the manifests' hashes and the applied generations. \
            Exit codes: 0 printed (or, with --detailed-exitcode, nothing to do); 2 changes pending \
            (--detailed-exitcode only); 1 an unreadable planfile, or a plan with errors; 64 bad usage.
            """
    )

    @Argument(help: "The planfile.", completion: .file())
    var planfile: String

    @OptionGroup var output: PlanOutputOptions

    func run() throws {
        let saved = try SavedPlan.read(planfile)
        if output.output == .text {
            Terminal.out(
                "# Saved plan, made \(PlanText.timestamp(saved.createdAt)) from \(saved.pipelines.terminalSafe) "
                    + "against \(saved.basis.state.terminalSafe)\n"
            )
        }
        try output.print(saved.plan, saved: saved, title: "Saved plan")
        throw output.exitCode(for: saved.plan)
    }
}
