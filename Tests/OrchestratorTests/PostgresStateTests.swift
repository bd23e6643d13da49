import Foundation
import Glibc
import Model
import Reconciler
import Testing

/// The commands with their state in PostgreSQL (the server scripts/services.sh starts): two
/// processes starting together migrate once; reconcile and the daemon share one ledger.
@Suite("State in PostgreSQL")
struct PostgresStateTests {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["ORCHESTRATOR_TEST_POSTGRES_URL"]

    /// The test server's URL with a schema of its own, and the environment with its password.
    static func state() throws -> (url: String, environment: [String: String], schema: String) {
        let base = try #require(url, "scripts/services.sh starts PostgreSQL")
        let schema = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return (base + "&schema=" + schema, ["PGPASSWORD": environment["ORCHESTRATOR_TEST_PGPASSWORD"] ?? ""], schema)
    }

    @Test(.enabled(if: url != nil || environment["CI"] == "true", "needs scripts/services.sh (PostgreSQL)"))
    func replicasStartingTogetherMigrateOnceAndShareTheLedger() async throws {
        let (state, env, _) = try Self.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("pg", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
        for index in 1...3 { try workspace.write("data/in/f\(index).csv", "row,\(index)\n") }

        async let first = workspace.run(["plan", "--state", state], environment: env)
        async let second = workspace.run(["plan", "--state", state], environment: env)
        let (a, b) = try await (first, second)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        #expect(
            try store.appliedMigrations() == [
                "v1", "v2: pending file actions", "v3: database pipelines, users, audit", "v4: leases",
            ],
            "each migration once"
        )

        let reconciled = try await workspace.run(["reconcile", "--state", state], environment: env)
        #expect(reconciled.status == 0 && reconciled.stdout.contains("3 succeeded"), "\(reconciled.stderr)")

        // A daemon on the same database: the known contents are not run again, a new one is.
        try workspace.write("data/in/new.csv", "row,new\n")
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--state", state], environment: env)
        try await waitUntil("the daemon processes the new file") { daemon.log.contains("\"path\":\"new.csv\"") }
        #expect(try await daemon.stop() == 0)
        #expect(try store.ledger(pipeline: "pg").values.filter { $0.state == .succeeded }.count == 4)
        #expect(try store.runs(pipeline: "pg", limit: 10).count == 4, "each content ran once")

        let refused = try await workspace.run(["plan", "--state", "postgres://u:secret@127.0.0.1/db"])
        #expect(refused.status == 64 && refused.stderr.contains("PGPASSWORD"))
    }
}

extension PostgresStateTests {
    @Test(.enabled(if: url != nil || environment["CI"] == "true", "needs scripts/services.sh (PostgreSQL)"))
    func aSQLiteStateMovesToPostgreSQLWithoutReprocessing() async throws {
        let (state, env, _) = try Self.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("pg", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
        for index in 1...5 { try workspace.write("data/in/f\(index).csv", "row,\(index)\n") }
        #expect(try await workspace.run(["reconcile"]).status == 0)
        #expect(
            try await workspace.run(["users", "add", "ada", "--role", "admin"], input: "password-ada\n").status == 0
        )

        let sqlite = "sqlite:" + workspace.path(".orchestrator/state.db")
        let copied = try await workspace.run(["state", "copy", "--from", sqlite, "--to", state], environment: env)
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("ledger: 5 rows in the source, 5 in the target"), "\(copied.stdout)")
        let again = try await workspace.run(["state", "copy", "--from", sqlite, "--to", state], environment: env)
        #expect(again.status == 0 && again.stdout.contains("ledger: 5 rows in the source, 5 in the target"))

        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        let plan = try await workspace.run(["plan", "--state", state, "--detailed-exitcode"], environment: env)
        #expect(plan.status == 0, "nothing to do after the copy: \(plan.stdout)")
        #expect(try store.user(named: "ada")?.role == .admin)
        #expect(try store.appliedSpecs().map(\.name) == ["pg"])
    }
}

extension PostgresStateTests {
    /// A replica frozen past its lease: another takes the content over and runs it; the frozen
    /// one, continued, finds its claim lost, kills its run and records nothing.
    @Test(.enabled(if: url != nil || environment["CI"] == "true", "needs scripts/services.sh (PostgreSQL)"))
    func aFrozenReplicaLosesItsClaimToAnother() async throws {
        let (state, env, _) = try Self.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        let marker = workspace.path("out/slow")
        let calls = workspace.path("out/calls")
        try workspace.write("out/slow", "")
        try workspace.manifest(
            "pg",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["/bin/sh", "-c", "if [ -e \\"$0\\" ]; then echo >> \\"$2.started\\"; sleep 30; fi; echo \\"$1\\" >> \\"$2\\"", "\(marker)", "${file}", "\(calls)"]}

            """
        )
        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        let frozen = try await DaemonProcess.start(
            workspace,
            arguments: ["--state", state, "--lease", "2"],
            environment: env
        )
        try workspace.write("data/in/a.csv", "row\n")
        try await waitUntil("the first replica's command is sleeping") { workspace.exists("out/calls.started") }
        kill(frozen.process.processIdentifier, SIGSTOP)
        try FileManager.default.removeItem(atPath: marker)
        try await waitUntil("its lease expires", timeout: .seconds(10)) {
            (try? store.claims().first?.leaseExpired(at: Date())) == true
        }

        let other = try await workspace.run(["reconcile", "--state", state, "--lease", "2"], environment: env)
        #expect(other.status == 0 && other.stdout.contains("1 succeeded"), "\(other.stdout)\(other.stderr)")

        kill(frozen.process.processIdentifier, SIGCONT)
        try await waitUntil("the continued replica records its lost run as interrupted") {
            (try? store.runs(pipeline: "pg", limit: 5).contains { $0.outcome == .interrupted }) == true
        }
        #expect(try await frozen.stop() == 0)
        let entry = try #require(try store.ledger(pipeline: "pg").values.first)
        #expect(entry.state == .succeeded && entry.attempts == 1, "one success; the lost attempt not counted")
        #expect(workspace.lines("out/calls").count == 1, "the command completed once")
        let outcomes = try store.runs(pipeline: "pg", limit: 5).compactMap(\.outcome)
        #expect(outcomes.filter { $0 == .succeeded }.count == 1 && outcomes.contains(.interrupted), "\(outcomes)")
    }
}
