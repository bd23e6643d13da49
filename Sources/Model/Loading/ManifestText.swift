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
