import Foundation
import Model
import Testing

/// The JSON Schema and the validator must agree: every manifest the schema rejects
/// (`Tests/Fixtures/schema-invalid`, checked against the schema by `scripts/check-schema.py`)
/// is rejected by `validate` too.
@Suite("Schema fixtures")
struct SchemaFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema-invalid")

    static let fixtures: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
        $0.hasSuffix(".yaml")
    }.sorted()

    @Test func thereAreFixtures() {
        #expect(Self.fixtures.count >= 5)
    }

    @Test(arguments: fixtures)
    func validatorRejects(_ name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        let documents = ManifestDocument.parse(text, file: name)
        #expect(documents.count == 1)
        #expect(documents.allSatisfy { !$0.isValid && $0.diagnostics.hasErrors })
    }
}
