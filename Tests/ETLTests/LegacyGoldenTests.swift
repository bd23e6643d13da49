import Foundation
import Testing

/// The default ETL against recordings of the real legacy ETL (pypel on pandas 1.2.5): for each
/// `NAME.legacy.ndjson` in `Tests/Fixtures/legacy-etl` (and in `$ORCHESTRATOR_LEGACY_GOLDEN`, a
/// folder of more recordings, when set), loading NAME must send the very same documents, field
/// for field, value for value, in the same order; only our `_id` and `_source_*` fields are added.
@Suite("Default ETL: the legacy ETL's documents")
struct LegacyGoldenTests {
    static let folders: [URL] = {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/legacy-etl")
        let extra = ProcessInfo.processInfo.environment["ORCHESTRATOR_LEGACY_GOLDEN"].map { URL(fileURLWithPath: $0) }
        return [fixtures] + (extra.map { [$0] } ?? [])
    }()

    static let recordings: [String] = folders.flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".legacy.ndjson") }
            .map { folder.appendingPathComponent(String($0.dropLast(".legacy.ndjson".count))).path }
    }.sorted()

    @Test func thereAreRecordings() {
        #expect(Self.recordings.count >= 6)
    }

    @Test(arguments: recordings)
    func sameDocumentsAsTheLegacyETL(_ input: String) throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        let output = workspace.path("out.ndjson")
        let result = try workspace.run(["--sink", "ndjson:" + output, input])
        #expect(result.status == 0, "\(result.stderr)")

        let legacy = try Self.documents(String(contentsOfFile: input + ".legacy.ndjson", encoding: .utf8))
        let ours = try Self.documents(String(contentsOfFile: output, encoding: .utf8))
        #expect(ours.count == legacy.count, "document count")
        for (row, (mine, theirs)) in zip(ours, legacy).enumerated() {
            let added = mine.range(of: ",\"_source_file\":").map { String(mine[..<$0.lowerBound]) + "}" } ?? mine
            #expect(added == theirs, "row \(row + 1) of \((input as NSString).lastPathComponent)")
            let object = try #require(JSONSerialization.jsonObject(with: Data(mine.utf8)) as? [String: Any])
            #expect(object["_source_sha256"] is String && object["_source_file"] as? String == (input as NSString).lastPathComponent)
        }
    }

    /// The document lines of `_bulk` bodies (every second line, after each action line).
    static func documents(_ bulk: String) throws -> [String] {
        let lines = bulk.split(separator: "\n").map(String.init)
        try #require(lines.count % 2 == 0)
        return stride(from: 1, to: lines.count, by: 2).map { lines[$0] }
    }
}
