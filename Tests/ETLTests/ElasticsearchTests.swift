import Foundation
import Testing

/// The default ETL against a real Elasticsearch-compatible server (osmem-server), started by
/// scripts/services.sh; skipped when it is not running.
@Suite("default-etl into Elasticsearch", .enabled(if: TestServers.elasticsearch != nil))
struct ElasticsearchTests {
    let server = TestServers.elasticsearch ?? ""

    @Test func loadsTheLegacyShapeWithStableIDs() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write(
            "data/default/sales.csv",
            "id;name;amount;paid\n1;Alice;12.5;true\n2;Bob;7;false\n3;\"Chloé; Jr\";;TRUE\n"
        )
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "sales.csv: 3 rows → \(workspace.index): 3 loaded, 0 failed (UTF-8, delimiter ';')\n")
        #expect(try await TestServers.count(workspace.index) == 3)
        let hit = try await Self.hit(server, workspace.index, "NAME:Bob")
        let source = try #require(hit["_source"] as? [String: Any])
        #expect(source["AMOUNT"] as? String == "7", "the legacy ETL's text, coerced by the index's double mapping")
        #expect(source["PAID"] as? String == "false")
        #expect(source["ID"] as? String == "2")
        #expect(source["_source_file"] as? String == "sales.csv")
        #expect((source["_source_sha256"] as? String)?.count == 64)
        #expect(
            (hit["_id"] as? String)?.hasPrefix(String((source["_source_sha256"] as? String ?? "").prefix(32)) + "-")
                == true
        )

        let again = try workspace.run(["--sink", server])
        #expect(again.status == 0)
        #expect(
            try await TestServers.count(workspace.index) == 3,
            "reloading the same file must not duplicate documents"
        )
    }

    @Test func typesInferredOnRequest() async throws {
        let workspace = try ETLWorkspace(types: "infer")
        defer { workspace.remove() }
        try workspace.write("data/default/sales.csv", "id;name;amount;paid\n1;Alice;12.5;true\n2;Bob;7;false\n")
        #expect(try workspace.run(["-c", "--sink", server]).status == 0)
        let source = try #require(try await Self.hit(server, workspace.index, "NAME:Bob")["_source"] as? [String: Any])
        #expect(source["AMOUNT"] as? Double == 7)
        #expect(source["PAID"] as? Bool == false)
        #expect(source["ID"] as? Int == 2)
    }

    /// The legacy shape keeps a shared index loadable whatever each file's values look like;
    /// typing per file makes the second file's codes collide with the first file's mapping.
    @Test func filesOfDifferentLooksShareAnIndex() async throws {
        let communes = [
            ("communes_a.csv", "code_insee,nom\n75056,Paris\n13055,Marseille\n"),
            ("communes_b.csv", "code_insee,nom\n2A004,Ajaccio\n01001,L'Abergement\n"),
        ]
        let legacy = try ETLWorkspace()
        defer { legacy.remove() }
        for (name, text) in communes { try legacy.write("data/default/\(name)", text) }
        #expect(try legacy.run(["-c", "--sink", server]).status == 0)
        #expect(try await TestServers.count(legacy.index) == 4)

        let inferred = try ETLWorkspace(types: "infer")
        defer { inferred.remove() }
        for (name, text) in communes { try inferred.write("data/default/\(name)", text) }
        let result = try inferred.run(["-c", "--sink", server])
        #expect(result.status == 1, "the documented risk of types: infer")
        #expect(try await TestServers.count(inferred.index) < 4)
    }

    static func hit(_ server: String, _ index: String, _ query: String) async throws -> [String: Any] {
        let search = try await TestServers.json("GET", "\(server)/\(index)/_search?q=\(query)")
        return try #require(((search["hits"] as? [String: Any])?["hits"] as? [[String: Any]])?.first)
    }

    @Test func aRejectedDocumentIsReportedAndFailsTheRun() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/bad.csv", "amount\nlots\n")
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 1)
        #expect(result.stdout.contains("0 loaded, 1 failed"))
        #expect(result.stderr.contains("bad.csv: rejected:"))
        #expect(result.stderr.contains("AMOUNT"))
    }

    @Test func recreateAppliesTheMappingsAndEmptiesTheIndex() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/a.csv", "amount\n1\n2\n")
        #expect(try workspace.run(["-c", "--sink", server]).status == 0)
        try FileManager.default.removeItem(atPath: workspace.path("data/default/a.csv"))
        try workspace.write("data/default/b.csv", "amount\n3\n")
        #expect(try workspace.run(["-c", "--sink", server]).status == 0)
        #expect(try await TestServers.count(workspace.index) == 1)
        let mapping = try await TestServers.json("GET", "\(server)/\(workspace.index)/_mapping")
        let properties =
            ((mapping[workspace.index] as? [String: Any])?["mappings"] as? [String: Any])?["properties"]
            as? [String: Any]
        #expect((properties?["AMOUNT"] as? [String: Any])?["type"] as? String == "double")
        #expect((properties?["_source_file"] as? [String: Any])?["type"] as? String == "keyword")
    }

    @Test func aServerThatIsDownIsAClearErrorAndANonZeroExit() throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/a.csv", "x\n1\n")
        let result = try workspace.run(["--sink", "http://127.0.0.1:9"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot reach Elasticsearch at http://127.0.0.1:9"))
    }

    @Test(.enabled(if: TestServers.authenticated != nil))
    func basicAuthThroughNginx() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/a.csv", "x\n1\n")
        let url = try #require(TestServers.authenticated)
        let refused = try workspace.run(
            ["--sink", url],
            environment: ["elasticsearch_user": "elastic", "elasticsearch_password": "wrong-pa55"]
        )
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("HTTP 401"))
        #expect(!refused.stderr.contains("wrong-pa55"), "the password is never printed")
        let accepted = try workspace.run(
            ["-c", "--sink", url],
            environment: ["elasticsearch_user": "elastic", "elasticsearch_password": "test-pa55"]
        )
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try await TestServers.count(workspace.index) == 1)
    }

    @Test(.enabled(if: TestServers.tls != nil && TestServers.cafile != nil))
    func httpsWithACAFile() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/a.csv", "x\n1\n2\n")
        let url = try #require(TestServers.tls)
        let credentials = ["elasticsearch_user": "elastic", "elasticsearch_password": "test-pa55"]
        let untrusted = try workspace.run(["--sink", url], environment: credentials)
        #expect(untrusted.status == 1)
        #expect(
            untrusted.stderr.contains("cannot reach Elasticsearch at \(url): the server's certificate is not trusted")
        )
        let trusted = try workspace.run(
            ["-c", "--sink", url],
            environment: credentials.merging(["elasticsearch_cafile": try #require(TestServers.cafile)]) { $1 }
        )
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(try await TestServers.count(workspace.index) == 2)
    }

    @Test(.enabled(if: TestServers.python != nil))
    func anXLSXWrittenByOpenpyxl() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        let file = workspace.path("data/default/book.xlsx")
        let script = """
            import datetime, openpyxl, sys
            wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Ventes"
            ws.append([" id ", "name", "when", "amount", "ok"])
            ws.append([1, "Alice", datetime.date(2024, 3, 1), 12.5, True])
            ws.append([2, "Bob", datetime.datetime(2024, 3, 2, 13, 45), 7, False])
            ws.append([3, "Chloé", None, None, True])
            wb.save(sys.argv[1])
            """
        try TestServers.runPython(script, file)
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == "book.xlsx: 3 rows → \(workspace.index): 3 loaded, 0 failed (UTF-8, sheet \"Ventes\")\n"
        )
        let source = try #require(try await Self.hit(server, workspace.index, "NAME:Bob")["_source"] as? [String: Any])
        #expect(source["WHEN"] as? String == "2024-03-02 13:45:00", "as pandas prints a datetime")
        #expect(source["ID"] as? String == "2")
        #expect(source["AMOUNT"] as? String == "7")
        #expect(source["OK"] as? String == "False")
        let chloe = try #require(try await Self.hit(server, workspace.index, "NAME:Chloé")["_source"] as? [String: Any])
        #expect(chloe["WHEN"] is NSNull && chloe["AMOUNT"] is NSNull)
    }
}
