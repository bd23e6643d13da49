import Foundation
import Testing

/// The default ETL against recordings of the real legacy ETL (pypel on pandas 1.2.5): for each
/// `NAME.legacy.ndjson` in `Tests/Fixtures/legacy-etl` (and in `$ORCHESTRATOR_LEGACY_GOLDEN`, a
/// folder of more recordings, when set), loading NAME must send the very same documents, field
/// for field, value for value, in the same order; only our `_id` and `_source_*` fields are added.
@Suite("Default ETL: the legacy ETL's documents")
struct LegacyGoldenTests {
    static let folders: [URL] = {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/legacy-etl")
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
            #expect(
                object["_source_sha256"] is String
                    && object["_source_file"] as? String == (input as NSString).lastPathComponent
            )
        }
    }

    /// Files the legacy ETL lost or garbled, read as documented in docs/default-etl.md.
    @Test func whereWeDifferOnPurpose() throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try Data("nom;ville\nChlo\u{E9};S\u{E8}te\n".utf8.map { $0 }).write(
            to: URL(fileURLWithPath: workspace.path("data/default/a.csv"))
        )
        try Data([
            0x6E, 0x6F, 0x6D, 0x3B, 0x76, 0x69, 0x6C, 0x6C, 0x65, 0x0A, 0x43, 0x68, 0x6C, 0x6F, 0xE9, 0x3B, 0x80, 0x0A,
        ])
        .write(to: URL(fileURLWithPath: workspace.path("data/default/b.csv")))
        try workspace.write("data/default/c.csv", "a,b\n1,2\n3,4,5\n6,7\n")
        let output = workspace.path("out.ndjson")
        let result = try workspace.run(["--sink", "ndjson:" + output])
        #expect(result.status == 1, "a skipped row fails the run")
        #expect(
            result.stdout.contains("a.csv: 1 rows → \(workspace.index): 1 loaded, 0 failed (UTF-8, delimiter ';')"),
            "\(result.stdout)"
        )
        #expect(
            result.stdout.contains(
                "b.csv: 1 rows → \(workspace.index): 1 loaded, 0 failed (Windows-1252, delimiter ';')"
            )
        )
        #expect(result.stdout.contains("c.csv: 3 rows → \(workspace.index): 2 loaded, 1 failed"))
        #expect(result.stderr.contains("c.csv:3: 3 fields where the header has 2; row skipped"))
        let documents = try Self.documents(String(contentsOfFile: output, encoding: .utf8)).map {
            String($0[..<$0.range(of: ",\"_source_file\"")!.lowerBound]) + "}"
        }
        #expect(
            documents == [
                #"{"NOM":"Chloé","VILLE":"Sète"}"#, #"{"NOM":"Chloé","VILLE":"€"}"#, #"{"A":"1","B":"2"}"#,
                #"{"A":"6","B":"7"}"#,
            ]
        )
    }

    /// A sheet written by openpyxl, read as pandas reads it with openpyxl under `dtype=str`.
    @Test(.enabled(if: TestServers.python != nil, "scripts/services.sh provides a Python with openpyxl"))
    func aSheetAsPandasReadsIt() throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        let file = workspace.path("data/default/sheet.xlsx")
        let script = """
            import datetime, openpyxl, sys
            wb = openpyxl.Workbook(); ws = wb.active
            ws.append(["code", "montant", "quand", "heure"])
            ws.append(["01", 1500, datetime.datetime(2024, 1, 31), datetime.time(14, 30)])
            ws.append([])
            ws.append(["02", 12.5, datetime.datetime(2024, 2, 29, 8, 0, 5), "#DIV/0!", "extra"])
            ws.append([])
            wb.save(sys.argv[1])
            """
        try TestServers.runPython(script, file)
        let output = workspace.path("out.ndjson")
        let result = try workspace.run(["--sink", "ndjson:" + output, file])
        #expect(result.status == 0, "\(result.stderr)")
        let documents = try Self.documents(String(contentsOfFile: output, encoding: .utf8)).map {
            String($0[..<$0.range(of: ",\"_source_file\"")!.lowerBound]) + "}"
        }
        #expect(
            documents == [
                #"{"CODE":"01","MONTANT":"1500","QUAND":"2024-01-31 00:00:00","HEURE":"14:30:00","UNNAMED: 4":null}"#,
                #"{"CODE":null,"MONTANT":null,"QUAND":null,"HEURE":null,"UNNAMED: 4":null}"#,
                #"{"CODE":"02","MONTANT":"12.5","QUAND":"2024-02-29 08:00:05","HEURE":null,"UNNAMED: 4":"extra"}"#,
            ]
        )
    }

    /// The document lines of `_bulk` bodies (every second line, after each action line).
    static func documents(_ bulk: String) throws -> [String] {
        let lines = bulk.split(separator: "\n").map(String.init)
        try #require(lines.count % 2 == 0)
        return stride(from: 1, to: lines.count, by: 2).map { lines[$0] }
    }
}
