import YAML

/// One YAML document of a manifest file, valid or not.
///
/// Invalid documents are kept, with the name they claim when it can be read, so that the planner
/// can keep the last applied spec of that pipeline running and say why.
public struct ManifestDocument: Sendable {
    /// The largest manifest file read, 1 MiB: a thousand pipelines' worth. Bigger files are
    /// reported, not parsed, so that a runaway generated file cannot stall the daemon.
    public static let maxFileSize = 1 << 20

    /// The manifest file's path, as it is shown in diagnostics.
    public var file: String
    /// The document's position in its file, from 0.
    public var index: Int
    /// The `metadata.name` the document claims, when it can be read.
    public var name: String?
    /// Where that name is written.
    public var nameMark: Mark?
    /// The decoded pipeline; `nil` when the document has errors.
    public var pipeline: Pipeline?
    public var diagnostics: [Diagnostic]

    public var isValid: Bool { pipeline != nil && !diagnostics.hasErrors }

    /// Parses every document of a manifest file's text.
    public static func parse(_ text: String, file: String) -> [ManifestDocument] {
        let nodes: [Node?]
        do {
            nodes = try Parser.parseStream(text)
        } catch {
            return [ManifestDocument(file: file, index: 0, diagnostics: [Diagnostic(error, file: file)])]
        }
        let decoder = YAMLDecoder()
        return nodes.enumerated().compactMap { index, node -> ManifestDocument? in
            guard let node else { return nil }
            let nameNode = node["metadata"]?["name"]
            var document = ManifestDocument(
                file: file,
                index: index,
                name: nameNode?.scalar?.text,
                nameMark: nameNode?.mark
            )
            do throws(YAMLErrors) {
                let pipeline = try decoder.decode(Pipeline.self, from: node)
                document.pipeline = pipeline
                document.diagnostics = pipeline.spec.run.secretExposures.map {
                    Diagnostic(
                        .warning,
                        file: file,
                        at: $0.location?.mark ?? .start,
                        ($0.location.map { "\($0.path): " } ?? "") + $0.message
                    )
                }
            } catch {
                document.diagnostics = error.errors.map { Diagnostic($0, file: file) }
            }
            return document
        }
    }

    init(
        file: String,
        index: Int,
        name: String? = nil,
        nameMark: Mark? = nil,
        pipeline: Pipeline? = nil,
        diagnostics: [Diagnostic] = []
    ) {
        self.file = file
        self.index = index
        self.name = name
        self.nameMark = nameMark
        self.pipeline = pipeline
        self.diagnostics = diagnostics
    }
}
