import YAML

/// Writes pipelines as manifest YAML: keys in declaration order, defaults omitted, strings
/// quoted only where a YAML reader would otherwise take them for another type.
public enum ManifestText {
    /// The YAML text of `pipeline`, preceded by `comment` lines (each prefixed with `# `).
    public static func write(_ pipeline: Pipeline, comment: [String] = []) throws -> String {
        let header = comment.map { "# \($0)\n" }.joined()
        return header + (try Emitter.emit([YAMLEncoder().encode(pipeline)]))
    }
}

extension ManifestText {
    /// The texts of the documents of a YAML stream, split at `---` lines (a marker always starts
    /// at column 0; block scalars are indented), without empty documents: one text per pipeline,
    /// as the database stores them.
    public static func documentTexts(_ text: String) -> [String] {
        var documents: [String] = []
        var current: [Substring] = []
        func flush() {
            let body = current.joined(separator: "\n")
            if body.split(separator: "\n").contains(where: { line in
                let trimmed = line.trimmingPrefix(while: \.isWhitespace)
                return !trimmed.isEmpty && !trimmed.hasPrefix("#")
            }) {
                documents.append(body + "\n")
            }
            current = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" || line.hasPrefix("--- ") || line == "..." {
                flush()
            } else {
                current.append(line)
            }
        }
        flush()
        return documents
    }
}
