import Foundation
import Testing

/// Validates JSON outputs against the schemas in `schema/` with a real validator (Python's
/// jsonschema, through scripts/check-json.py), so that the documented format and what the
/// commands print cannot drift apart.
enum JSONSchemaCheck {
    /// A Python with jsonschema, from the project's own script (which installs it when missing).
    private static let python: Task<String, any Error> = Task {
        let result = try await CLI.runProgram(
            CLI.repository.appendingPathComponent("scripts/python-env.sh").path,
            ["jsonschema", "referencing"]
        )
        guard result.status == 0 else { throw CancellationError() }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Records an issue for each way `json` breaks `schema/NAME.schema.json`.
    static func expectValid(
        _ json: String,
        schema name: String = "plan",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("schema-check-\(UUID()).json")
        try Data(json.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await CLI.runProgram(
            try await python.value,
            [CLI.repository.appendingPathComponent("scripts/check-json.py").path, name, file.path]
        )
        #expect(
            result.status == 0,
            "not valid against \(name).schema.json: \(result.stdout)\(result.stderr)",
            sourceLocation: sourceLocation
        )
    }
}
