import Foundation
import YAML

/// One version of a pipeline kept in the state database: its manifest text, who saved it and
/// when. Versions are never changed or removed: an edit, a rollback and a deletion each add one
/// (a deletion is a version without text), so the history is the audit of the pipeline.
public struct StoredPipeline: Sendable, Hashable, Codable {
    public var name: String
    /// 1 for the first version, then one more per change.
    public var version: Int
    /// The `orchestrator/v1` manifest, exactly as saved; empty for a deletion.
    public var text: String
    public var author: String
    public var savedAt: Date
    public var deleted: Bool

    public init(name: String, version: Int, text: String, author: String, savedAt: Date, deleted: Bool = false) {
        self.name = name
        self.version = version
        self.text = text
        self.author = author
        self.savedAt = savedAt
        self.deleted = deleted
    }

    /// What this version is called in diagnostics and plans.
    public var label: String { ManifestSource.databaseLabel(name) }

    /// The manifest documents of this version, validated as a manifest file is, plus the rules
    /// of the database: one document, named as the stored pipeline, and absolute paths (there is
    /// no manifest folder to resolve a relative one against).
    public func documents() -> [ManifestDocument] {
        StoredPipeline.validate(text, name: name)
    }

    /// Validates `text` as the manifest of the database pipeline `name`: what the editor checks
    /// before saving, and what loading checks again.
    public static func validate(_ text: String, name: String) -> [ManifestDocument] {
        let label = ManifestSource.databaseLabel(name)
        guard text.utf8.count <= ManifestDocument.maxFileSize else {
            return [
                ManifestDocument(
                    file: label,
                    index: 0,
                    name: name,
                    diagnostics: [
                        Diagnostic(.error, file: label, at: .start, "the manifest is over 1 MiB, the most one may hold")
                    ]
                )
            ]
        }
        var documents = ManifestDocument.parse(text, file: label)
        guard !documents.isEmpty else {
            return [
                ManifestDocument(
                    file: label,
                    index: 0,
                    name: name,
                    diagnostics: [Diagnostic(.error, file: label, at: .start, "the manifest is empty")]
                )
            ]
        }
        for index in documents.indices.dropFirst() {
            documents[index].reject(at: documents[index].nameMark ?? .start, "a database pipeline holds one document")
        }
        if let claimed = documents[0].name, claimed != name {
            documents[0].reject(
                at: documents[0].nameMark ?? .start,
                "metadata.name: \"\(claimed)\" differs from the stored pipeline's name \"\(name)\"; rename by creating a new pipeline"
            )
        }
        documents[0].name = name
        if let pipeline = documents[0].pipeline {
            let root = (try? Parser.parseStream(text).first) ?? nil
            let paths: [(field: [String], value: String?)] = [
                (["spec", "watch", "path"], pipeline.spec.watch.path),
                (["spec", "run", "workingDir"], pipeline.spec.run.workingDir),
            ]
            // A secret's value never enters the database (nor its history): it comes from the
            // orchestrator's environment, through `fromEnv`.
            for entry in pipeline.spec.run.env.entries where Environment.looksSensitive(entry.name) {
                guard case .value(let template) = entry.value, template.references.isEmpty else { continue }
                let mark = ["spec", "run", "env", entry.name].reduce(root) { node, key in node?[key] }?.mark
                documents[0].reject(
                    at: mark ?? documents[0].nameMark ?? .start,
                    "spec.run.env.\(entry.name): a database pipeline may not hold a secret's value; "
                        + "use {fromEnv: VARIABLE} and set it in the orchestrator's environment"
                )
            }
            for (field, value) in paths where value.map({ !$0.hasPrefix("/") }) ?? false {
                let mark = field.reduce(root) { node, key in node?[key] }?.mark
                documents[0].reject(
                    at: mark ?? documents[0].nameMark ?? .start,
                    "\(field.joined(separator: ".")): a database pipeline needs an absolute path "
                        + "(it has no manifest folder to be relative to)"
                )
            }
        }
        return documents
    }
}

extension ManifestDocument {
    /// Makes the document invalid with an error at `mark`.
    mutating func reject(at mark: Mark, _ message: String) {
        diagnostics.append(Diagnostic(.error, file: file, at: mark, message))
        pipeline = nil
    }
}
