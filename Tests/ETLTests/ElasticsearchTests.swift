import Foundation
import Testing

/// The default ETL against a real Elasticsearch-compatible server (osmem-server), started by
/// scripts/services.sh; skipped when it is not running.
@Suite("default-etl into Elasticsearch", .enabled(if: TestServers.elasticsearch != nil))
struct ElasticsearchTests {
    let server = TestServers.elasticsearch ?? ""

    @Test func loadsCountsTypesAndStableIDs() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/sales.csv", "id;name;amount;paid\n1;Alice;12.5;true\n2;Bob;7;false\n3;\"Chloé; Jr\";;TRUE\n")
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "sales.csv: 3 rows → \(workspace.index): 3 loaded, 0 failed (UTF-8, delimiter ';')\n")
        #expect(try await TestServers.count(workspace.index) == 3)
        let search = try await TestServers.json("GET", "\(server)/\(workspace.index)/_search?q=name:Bob")
        let hit = try #require(((search["hits"] as? [String: Any])?["hits"] as? [[String: Any]])?.first)
        let source = try #require(hit["_source"] as? [String: Any])
        #expect(source["amount"] as? Double == 7)
        #expect(source["paid"] as? Bool == false)
        #expect(source["id"] as? Int == 2)
        #expect(source["_source_file"] as? String == "sales.csv")
        #expect((source["_source_sha256"] as? String)?.count == 64)
        #expect((hit["_id"] as? String)?.count == 40)

        let again = try workspace.run(["--sink", server])
        #expect(again.status == 0)
        #expect(try await TestServers.count(workspace.index) == 3, "reloading the same file must not duplicate documents")
    }

    @Test func aRejectedDocumentIsReportedAndFailsTheRun() async throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        try workspace.write("data/default/bad.csv", "amount\nlots\n")
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 1)
        #expect(result.stdout.contains("0 loaded, 1 failed"))
        #expect(result.stderr.contains("bad.csv: rejected:"))
        #expect(result.stderr.contains("amount"))
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
        let properties = ((mapping[workspace.index] as? [String: Any])?["mappings"] as? [String: Any])?["properties"] as? [String: Any]
        #expect((properties?["amount"] as? [String: Any])?["type"] as? String == "double")
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
        let refused = try workspace.run(["--sink", url], environment: ["elasticsearch_user": "elastic", "elasticsearch_password": "wrong-pa55"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("HTTP 401"))
        #expect(!refused.stderr.contains("wrong-pa55"), "the password is never printed")
        let accepted = try workspace.run(["-c", "--sink", url], environment: ["elasticsearch_user": "elastic", "elasticsearch_password": "test-pa55"])
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
        #expect(untrusted.stderr.contains("cannot reach Elasticsearch at \(url): the server's certificate is not trusted"))
        let trusted = try workspace.run(["-c", "--sink", url], environment: credentials.merging(["elasticsearch_cafile": try #require(TestServers.cafile)]) { $1 })
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
        let python = Process()
        python.executableURL = URL(fileURLWithPath: try #require(TestServers.python))
        python.arguments = ["-c", script, file]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let result = try workspace.run(["-c", "--sink", server])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "book.xlsx: 3 rows → \(workspace.index): 3 loaded, 0 failed (UTF-8, sheet \"Ventes\")\n")
        let search = try await TestServers.json("GET", "\(server)/\(workspace.index)/_search?q=name:Bob")
        let source = try #require((((search["hits"] as? [String: Any])?["hits"] as? [[String: Any]])?.first)?["_source"] as? [String: Any])
        #expect(source["when"] as? String == "2024-03-02T13:45:00")
        #expect(source["id"] as? Int == 2)
        #expect(source["ok"] as? Bool == false)
    }
}
