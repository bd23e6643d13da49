import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator pipelines import FILE…`: manifests stored in the database, one pipeline per
/// document, each a new version (created, or updated from its current version).
struct PipelinesImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store manifest files in the database: each document becomes (a new version of) a database pipeline.",
        discussion: """
            Every document is validated first, as `validate` does, with database rules (absolute \
            paths; a name not declared in git); nothing is stored when any is invalid. A pipeline \
            whose text is unchanged gets no new version.
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var author: AuthorOption

    @Argument(help: "Manifest files to import.")
    var files: [String]

    func run() throws {
        let catalog = try state.catalog()
        var texts: [(name: String, text: String)] = []
        var diagnostics: [Diagnostic] = []
        for file in files {
            guard case .success(let data) = BoundedFile.read(file, limit: ManifestDocument.maxFileSize),
                let text = String(validating: data, as: UTF8.self)
            else {
                diagnostics.append(
                    Diagnostic(.error, file: file, at: .start, "cannot read the file as UTF-8 text of at most 1 MiB")
                )
                continue
            }
            let documents = ManifestDocument.parse(text, file: file)
            diagnostics += documents.flatMap(\.diagnostics)
            guard !documents.contains(where: { !$0.isValid }) else { continue }
            for single in ManifestText.documentTexts(text) {
                guard let name = ManifestDocument.parse(single, file: file).first?.name else { continue }
                diagnostics += catalog.check(single, name: name).filter { $0.severity == .error }
                texts.append((name, single))
            }
        }
        if diagnostics.hasErrors {
            Terminal.report(diagnostics)
            throw ExitCode.failure
        }
        for (name, text) in texts {
            let current = try catalog.store.storedPipelines().first { $0.name == name }
            if current?.text == text {
                Terminal.out("\(name): unchanged (version \(current!.version))")
                continue
            }
            do {
                let stored = try catalog.save(
                    name: name,
                    text: text,
                    author: author.name,
                    basedOn: current?.version,
                    action: .importManifest
                )
                Terminal.out("\(name): version \(stored.version)")
            } catch { throw fail(error) }
        }
    }
}
