import Foundation
import Testing

@Suite("orchestrator validate")
struct ValidateCommandTests {
    @Test func projectPipelinesAreValid() async throws {
        for folder in ["pipelines", "pipelines/legacy"] {
            let result = try await CLI.run(["validate", folder])
            #expect(result.status == 0, "\(folder): \(result.stdout)")
            #expect(result.stdout.hasSuffix("valid in \(folder).\n"))
        }
    }

    @Test func reportsEveryErrorAsFileLineColumnAndExitsOne() async throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        apiVersion: orchestrator/v1
        kind: Pipeline
        metadata: {name: one}
        spec:
          watch: {path: in, settle: 2x}
          run: {command: [x, "${NOPE}"]}
        """.write(to: folder.appendingPathComponent("one.yaml"), atomically: true, encoding: .utf8)
        try "a: [1\n".write(to: folder.appendingPathComponent("two.yml"), atomically: true, encoding: .utf8)
        try "not: a manifest\n".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", "."], in: folder)
        #expect(result.status == 1)
        #expect(
            result.stdout.split(separator: "\n").map(String.init) == [
                "./one.yaml:5:29: error: spec.watch.settle: bad duration \"2x\": unknown unit \"x\" (use ms, s, m, h or d)",
                "./one.yaml:6:22: error: spec.run.command[1]: unknown template reference ${NOPE}: run.env has no key NOPE",
                "./two.yml:2:1: error: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)",
                "3 errors in 2 of 2 manifest files.",
            ]
        )
    }

    /// A FIFO named like a manifest used to block the reader (and the daemon) for ever; a file
    /// over 1 MiB is reported instead of parsed.
    @Test func oversizedFilesAndFIFOsAreReportedNotRead() async throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(mkfifo(folder.appendingPathComponent("pipe.yaml").path, 0o600) == 0)
        let item = "      - 'a-name-that-matches-nothing.csv'\n"
        let big =
            "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: big}\nspec:\n  run: {command: [x]}\n"
            + "  watch:\n    path: in\n    include:\n" + String(repeating: item, count: (1 << 20) / item.utf8.count + 1)
        try big.write(to: folder.appendingPathComponent("big.yaml"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", "."], in: folder)
        #expect(result.status == 1)
        #expect(
            result.stdout.split(separator: "\n").map(String.init) == [
                "./big.yaml:1:1: error: the file is larger than 1024 KiB, the most a manifest file may hold; split it",
                "./pipe.yaml:1:1: error: not a regular file; a manifest must be a file",
                "2 errors in 2 of 2 manifest files.",
            ]
        )
    }

    @Test func jsonOutputCarriesLocations() async throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: x}\nspec: {watch: {path: a}, run: {}}\n"
            .write(to: folder.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", folder.path, "--output", "json"])
        #expect(result.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["format_version"] as? String == "1")
        #expect(report["valid"] as? Bool == false)
        let diagnostic = try #require((report["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["line"] as? Int == 4)
        #expect(diagnostic["column"] as? Int == 31)
        #expect(diagnostic["severity"] as? String == "error")
        #expect(diagnostic["file"] as? String == folder.path + "/x.yaml")
    }

    @Test func missingFolderIsAClearError() async throws {
        let result = try await CLI.run(["validate", "/nonexistent/pipelines"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("/nonexistent/pipelines: error: no such folder of pipeline manifests\n"))
        #expect(result.stderr.contains("orchestrator convert CONFIG.conf... -o /nonexistent/pipelines"))
    }

    @Test func badUsageExitsWith64() async throws {
        let result = try await CLI.run(["validate", "--output", "xml"])
        #expect(result.status == 64)
    }
}
