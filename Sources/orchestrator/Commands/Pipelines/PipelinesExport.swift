import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines export [NAME…] -o DIR`: database pipelines written as manifest files,
/// to move them into git.
struct PipelinesExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write database pipelines as manifest files (NAME.yaml), to move them into git.",
        discussion: """
            An existing file is not overwritten. To move a pipeline into git without a gap: export it, \
            delete it from the database (`pipelines delete`), commit the file.
            """
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipelines to export (default: every database pipeline).")
    var names: [String] = []

    @Option(name: .shortAndLong, help: "The folder to write the files to.")
    var outputDirectory: String

    func run() throws {
        let stored = try state.openStore().storedPipelines()
        let chosen = names.isEmpty ? stored : stored.filter { names.contains($0.name) }
        for missing in Set(names).subtracting(chosen.map(\.name)).sorted() {
            Terminal.err("error: no pipeline \(missing) in the database")
        }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var refused = false
        for pipeline in chosen {
            let path = outputDirectory + "/" + pipeline.name + ".yaml"
            do {
                try Data(pipeline.text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            } catch {
                Terminal.err(
                    "\(path): error: \(FileManager.default.fileExists(atPath: path) ? "exists; not overwritten" : "\(error)")"
                )
                refused = true
                continue
            }
            Terminal.out("\(path) (version \(pipeline.version))")
        }
        if refused || chosen.count < Set(names).count { throw ExitCode.failure }
    }
}
