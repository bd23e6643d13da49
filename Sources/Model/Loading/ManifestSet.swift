import YAML

/// Every manifest document of a pipelines folder, with the checks that span documents.
public struct ManifestSet: Sendable {
    /// The documents, in file order; a duplicate name makes the later document invalid.
    public private(set) var documents: [ManifestDocument]
    /// Problems about files rather than documents, such as a file with no manifest in it.
    public private(set) var fileDiagnostics: [Diagnostic]
    /// SHA-256 of each source's text as it was read, by file name within the folder or by the
    /// database label (`db:NAME`): what a saved plan's basis records of the desired state.
    public private(set) var sources: [String: String]
    /// The pipelines suspended from the console (their documents already say `suspend: true`).
    public private(set) var suspended: Set<String>

    /// Checks `documents` together: pipeline names must be unique.
    /// A name declared both in git and in the database makes both documents invalid: neither
    /// source wins silently, and the last applied spec keeps running until one is removed.
    public init(
        documents: [ManifestDocument],
        fileDiagnostics: [Diagnostic] = [],
        sources: [String: String] = [:],
        suspended: Set<String> = []
    ) {
        var firstByName: [String: Int] = [:]
        var checked = documents
        for index in checked.indices {
            guard let name = checked[index].name, let mark = checked[index].nameMark else { continue }
            guard let firstIndex = firstByName[name], let firstMark = checked[firstIndex].nameMark else {
                firstByName[name] = index
                continue
            }
            let first = checked[firstIndex]
            if ManifestSource(file: first.file) == ManifestSource(file: checked[index].file) {
                checked[index].reject(
                    at: mark,
                    "metadata.name: duplicate pipeline name \"\(name)\" (first defined at \(first.file):\(firstMark))"
                )
            } else {
                let other = checked[index]
                checked[index].reject(at: mark, ManifestSet.conflict(name, with: first.file, at: firstMark))
                checked[firstIndex].reject(at: firstMark, ManifestSet.conflict(name, with: other.file, at: mark))
            }
        }
        self.documents = checked
        self.fileDiagnostics = fileDiagnostics
        self.sources = sources
        self.suspended = suspended
        brokenFiles = Dictionary(
            grouping: (fileDiagnostics + checked.flatMap(\.diagnostics)).filter { $0.severity == .error },
            by: { ManifestSet.fileName($0.file) }
        )
    }

    private static func conflict(_ name: String, with file: String, at mark: Mark) -> String {
        "metadata.name: pipeline \"\(name)\" is declared both in git and in the database (also at \(file):\(mark)); "
            + "remove one of them (the last applied spec keeps running meanwhile)"
    }

    /// The valid pipelines, each with the file it came from.
    public var pipelines: [(pipeline: Pipeline, file: String)] {
        documents.compactMap { document in document.isValid ? document.pipeline.map { ($0, document.file) } : nil }
    }

    /// The manifest files that exist but do not read cleanly (unreadable, not UTF-8, not YAML, a
    /// document that does not decode), by file name, with their errors.
    ///
    /// Keyed by name within the folder, not by the path as typed, so that `--pipelines ./p` and
    /// `--pipelines /abs/p` agree: a pipeline last applied from such a file is kept, never deleted,
    /// whatever the file shows now, because nobody can tell what it declares.
    public let brokenFiles: [String: [Diagnostic]]

    /// The name of a manifest file within its folder: the key that identifies it across spellings of the folder.
    public static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// Every diagnostic, in display order.
    public var diagnostics: [Diagnostic] {
        (fileDiagnostics + documents.flatMap(\.diagnostics)).sortedForDisplay()
    }
}
