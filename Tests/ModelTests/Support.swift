import Model

/// The diagnostics of a manifest text, as `line:column: message` strings without the file.
func problems(_ yaml: String) -> [String] {
    ManifestDocument.parse(yaml, file: "m.yaml").flatMap(\.diagnostics).map { "\($0.line):\($0.column): \($0.message)" }
}

/// The pipeline of a manifest text that must be valid.
func pipeline(_ yaml: String) -> Pipeline? {
    let documents = ManifestDocument.parse(yaml, file: "m.yaml")
    return documents.count == 1 && documents[0].isValid ? documents[0].pipeline : nil
}

/// A valid manifest whose `spec` body is `spec` (indented by two spaces per line).
func manifest(_ spec: String, name: String = "p") -> String {
    "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata:\n  name: \(name)\nspec:\n" + spec
}
