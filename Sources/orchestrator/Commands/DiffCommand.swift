import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator diff`: the pipeline changes between two sets of manifests, with no state.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the pipeline changes between two manifest folders, or a git revision and the folder.",
        discussion: """
            For CI jobs that cannot reach the live state: orchestrator diff OLD_DIR NEW_DIR, or \
            orchestrator diff --git origin/main [DIR] (the pipelines folder, DIR or --pipelines, at that \
            revision of its git repository, read with git, no checkout, against the folder as it is). The old manifests are \
            read as if they stood in the new folder, so relative paths compare by what they say. \
            Rendering as plan (--output text, json or markdown); files are not observed. \
            Exit codes, as plan --detailed-exitcode: 0 no change; 2 changes; 1 invalid new manifests, \
            an unreadable folder or revision; 64 bad usage.
            """
    )

    @Argument(help: "The old manifests folder (with --git: the pipelines folder).", completion: .directory)
    var old: String?

    @Argument(help: "The new manifests folder (without --git).", completion: .directory)
    var new: String?

    @Option(help: "Compare the --pipelines folder at this git revision (a branch, a tag, a commit) with the folder.")
    var git: String?

    @Option(help: "The folder of pipeline manifests, with --git.", completion: .directory)
    var pipelines = "pipelines"

    @OptionGroup var planOptions: PlanOptions

    func validate() throws {
        switch (git, old, new) {
        case (_?, _, nil), (nil, _?, _?): break
        case (_?, _, _): throw ValidationError("with --git, give at most one folder (the pipelines folder)")
        default: throw ValidationError("give OLD_DIR and NEW_DIR, or --git REV [DIR]")
        }
    }

    func run() throws {
        // With --git, a single folder argument is the pipelines folder, as --pipelines is.
        let newFolder = git != nil ? old ?? pipelines : new ?? pipelines
        let plan: Plan
        do {
            let desired = try ManifestDirectory.load(newFolder)
            if let git {
                let prefix = git + ":"
                plan = ManifestDiff.plan(
                    from: try GitManifests.load(newFolder, revision: git),
                    to: desired,
                    oldLabel: { prefix + $0 },
                    allowEmpty: planOptions.allowEmpty
                )
            } else {
                let oldFolder = old ?? pipelines
                plan = ManifestDiff.plan(
                    from: try ManifestDirectory.load(oldFolder, as: newFolder),
                    to: desired,
                    oldLabel: { PathResolution.normalize(oldFolder + "/" + $0) },
                    allowEmpty: planOptions.allowEmpty
                )
            }
        } catch let error as ManifestDirectory.LoadError {
            Terminal.err(error.description)
            throw ExitCode.failure
        } catch let error as GitManifests.Failure {
            Terminal.err(error.description.terminalSafe)
            throw ExitCode.failure
        }
        try planOptions.output.print(plan, title: "Diff")
        throw planOptions.output.exitCode(for: plan, detailed: true)
    }
}
