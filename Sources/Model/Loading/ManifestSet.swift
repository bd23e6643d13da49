/// Every manifest document of a pipelines folder, with the checks that span documents.
public struct ManifestSet: Sendable {
    /// The documents, in file order; a duplicate name makes the later document invalid.
    public private(set) var documents: [ManifestDocument]
    /// Problems about files rather than documents, such as a file with no manifest in it.
    public private(set) var fileDiagnostics: [Diagnostic]

    /// Checks `documents` together: pipeline names must be unique.
    public init(documents: [ManifestDocument], fileDiagnostics: [Diagnostic] = []) {
        var firstByName: [String: ManifestDocument] = [:]
        var checked = documents
        for index in checked.indices {
            guard let name = checked[index].name, let mark = checked[index].nameMark else { continue }
            if let first = firstByName[name], let firstMark = first.nameMark {
                checked[index].pipeline = nil
                checked[index].diagnostics.append(Diagnostic(.error, file: checked[index].file, at: mark,
                    "metadata.name: duplicate pipeline name \"\(name)\" (first defined at \(first.file):\(firstMark))"))
            } else {
                firstByName[name] = checked[index]
            }
        }
        self.documents = checked
        self.fileDiagnostics = fileDiagnostics
    }

    /// The valid pipelines, each with the file it came from.
    public var pipelines: [(pipeline: Pipeline, file: String)] {
        documents.compactMap { document in document.isValid ? document.pipeline.map { ($0, document.file) } : nil }
    }

    /// Every diagnostic, in display order.
    public var diagnostics: [Diagnostic] {
        (fileDiagnostics + documents.flatMap(\.diagnostics)).sortedForDisplay()
    }
}
