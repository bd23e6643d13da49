import ArgumentParser
import Model

/// How a plan is printed: the options of `plan`, `reconcile`, `diff` and `show`.
struct PlanOutputOptions: ParsableArguments {
    @Option(
        help: """
            Output format: text for people, json for CI (every file listed), markdown for a pull-request \
            comment. No secret value in any.
            """
    )
    var output: PlanFormat = .text

    @Flag(help: "Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error.")
    var detailedExitcode = false

    @Flag(help: "List the files skipped because their content already succeeded.")
    var showSkipped = false

    @Flag(
        help: """
            List every file (text and markdown list the first \(FileListing.defaultLimit) of each action per \
            pipeline, then a count), skipped ones included.
            """
    )
    var showAll = false

    var listing: FileListing {
        showAll ? .all : FileListing(showSkipped: showSkipped)
    }

    /// Prints `plan` in the chosen format; `saved` adds what a planfile was made from.
    func print(_ plan: Plan, saved: SavedPlan? = nil, title: String = "Plan") throws {
        switch output {
        case .text:
            Terminal.report(plan.diagnostics.filter { $0.severity == .warning })
            Terminal.out(PlanText.render(plan, listing: listing), terminator: "")
        case .json: Terminal.out(try PlanJSON(plan, saved: saved).encoded())
        case .markdown: Terminal.out(PlanMarkdown.render(plan, listing: listing, title: title), terminator: "")
        }
    }

    /// The exit code of a command that only planned.
    func exitCode(for plan: Plan, detailed: Bool? = nil) -> ExitCode {
        if plan.refusal != nil || plan.diagnostics.hasErrors { return .failure }
        return (detailed ?? detailedExitcode) && plan.hasChanges ? ExitCode(2) : .success
    }
}

/// The options of the commands that compute a plan.
struct PlanOptions: ParsableArguments {
    @OptionGroup var output: PlanOutputOptions

    @Flag(help: "Allow a plan that deletes every applied pipeline because no manifest is left.")
    var allowEmpty = false
}

/// The formats a plan is printed in.
enum PlanFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, markdown
}
