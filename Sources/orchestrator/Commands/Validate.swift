import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator validate [DIR]`: checks every manifest and reports all errors at once.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the pipeline manifests of a folder.",
        discussion: """
            Reads every *.yaml and *.yml file in DIR (not in its subfolders; hidden files skipped), \
            and the pipelines stored in the state database when there is one (shown as db:NAME), \
            and prints every problem as FILE:LINE:COLUMN: error: MESSAGE. \
            Exit codes: 0 all manifests are valid; 1 at least one error; 64 bad usage.
            """
    )

    @Argument(help: "The folder of pipeline manifests.")
    var directory = "pipelines"

    @Option(name: .shortAndLong, help: "Output format: text, or json for CI (diagnostics with file, line and column).")
    var output: OutputFormat = .text

    @Option(
        help:
            "A state database whose database pipelines are validated too (default: .orchestrator/state.db beside DIR, when it exists)."
    )
    var state: String?

    func run() throws {
        let manifests: ManifestSet
        do {
            let statePath = state ?? StateLocation.defaultPath(forPipelines: directory)
            let store =
                state != nil || FileManager.default.fileExists(atPath: statePath)
                ? try SQLiteStateStore(path: statePath) : nil
            manifests = try DesiredState.load(directory, database: store)
        } catch let error as ManifestDirectory.LoadError {
            Terminal.err(error.description)
            throw ExitCode.failure
        } catch {
            Terminal.err("error: cannot read the database pipelines: \(error)")
            throw ExitCode.failure
        }
        let diagnostics = manifests.diagnostics
        let valid = manifests.pipelines.map(\.pipeline.name)
        let invalid = manifests.documents.filter { !$0.isValid }.count
        let files = Set(manifests.documents.map(\.file) + diagnostics.map(\.file))
        let badFiles = Set(diagnostics.filter { $0.severity == .error }.map(\.file))
        switch output {
        case .json:
            try Terminal.json(
                ValidationReport(
                    valid: !diagnostics.hasErrors,
                    pipelines: valid,
                    invalidDocuments: invalid,
                    diagnostics: diagnostics
                )
            )
        case .text:
            Terminal.report(diagnostics, to: { Terminal.out($0) })
            let errors = diagnostics.filter { $0.severity == .error }.count
            if errors == 0 {
                Terminal.out("\(valid.count) pipeline\(valid.count == 1 ? "" : "s") valid in \(directory).")
            } else {
                Terminal.out(
                    "\(errors) error\(errors == 1 ? "" : "s") in \(badFiles.count) of \(files.count) manifest file\(files.count == 1 ? "" : "s")."
                )
            }
        }
        if diagnostics.hasErrors { throw ExitCode.failure }
    }
}

/// The JSON form of `validate`, versioned so that CI scripts can rely on it.
struct ValidationReport: Encodable {
    let formatVersion = "1"
    let valid: Bool
    let pipelines: [String]
    let invalidDocuments: Int
    let diagnostics: [Diagnostic]
}
