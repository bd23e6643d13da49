import Foundation
import Glibc
import Testing

/// The orchestrator's own files are private, and its state is never silently started anew.
@Suite("Private files and the state database")
struct PrivateFilesTests {
    private func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    @Test func envFilesLogsAndStateArePrivate() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "secret",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'stat -c %a "$0" > ../out/env-mode; echo logged', "${run.envFile}"]
                workingDir: ../pipelines
                env: {TOKEN: {fromEnv: TEST_TOKEN}}
            """
        )
        try workspace.write("data/in/a.csv", "a")
        umask(0o022)
        let result = try await workspace.run(["reconcile"], environment: ["TEST_TOKEN": "5ecret"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(workspace.lines("out/env-mode") == ["600"])
        #expect(mode(workspace.path(".orchestrator/state.db")) == 0o600)
        #expect(mode(workspace.path(".orchestrator")) == 0o700)
        #expect(mode(workspace.path(".orchestrator/logs")) == 0o700)
        #expect(mode(workspace.path(".orchestrator/logs/secret")) == 0o700)
        let logs = try FileManager.default.contentsOfDirectory(atPath: workspace.path(".orchestrator/logs/secret"))
        #expect(
            !logs.isEmpty && logs.allSatisfy { mode(workspace.path(".orchestrator/logs/secret/" + $0)) == 0o600 },
            "\(logs)"
        )
    }

    @Test func anEmptyStateDatabaseIsRefusedNotStartedAnew() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("rec", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
        try workspace.write("data/in/a.csv", "a")
        #expect(try await workspace.run(["reconcile"]).status == 0)
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: workspace.path(".orchestrator/state.db" + suffix))
        }
        try workspace.write(".orchestrator/state.db", "")
        let refused = try await workspace.run(["reconcile"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the state database is empty (0 bytes)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--init-state"))
        let started = try await workspace.run(["reconcile", "--init-state"])
        #expect(started.status == 0)
        #expect(started.stdout.contains("1 pipeline to create"))
    }

    /// Processes opening a new state database at once: none takes another's new file for a
    /// truncated one, and each migration runs once (GRDB alone checks outside the migration's
    /// transaction, so two processes could both apply one).
    @Test func processesOpeningANewStateAtOnceAllSucceed() async throws {
        for _ in 1...5 {
            let workspace = try Workspace()
            defer { workspace.remove() }
            try workspace.manifest("rec", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
            let results = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
                for _ in 1...4 { group.addTask { try await workspace.run(["plan"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for result in results { #expect(result.status == 0, "\(result.stderr)") }
        }
    }
}
