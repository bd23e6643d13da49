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
                "v5: running contents by pipeline",
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

extension PostgresStateTests {
    static let sql = environment["ORCHESTRATOR_TEST_POSTGRES_SQL"]

    /// The database cut off for a while under a running daemon (its connections ended, new ones
    /// refused): `/readyz` says so, runs go on, outcomes are recorded once it is back, and
    /// nothing runs twice. A database of its own, so that other tests never see the outage.
    @Test(.enabled(if: sql != nil || environment["CI"] == "true", "needs scripts/services.sh (PostgreSQL)"))
    func aDatabaseOutageLosesNothingAndRunsNothingTwice() async throws {
        let sql = try #require(Self.sql)
        let base = try #require(Self.url)
        let name = "outage_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        #expect(Self.spawnAndWait(sql, "CREATE DATABASE \(name)") == 0)
        defer { _ = Self.spawnAndWait(sql, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let state = base.replacingOccurrences(of: "/orchestrator_test?", with: "/\(name)?")
        let env = ["PGPASSWORD": Self.environment["ORCHESTRATOR_TEST_PGPASSWORD"] ?? ""]
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (daemon, port) = try await Self.outageDaemon(workspace, state: state, environment: env, files: 6)

        #expect(Self.spawnAndWait(sql, "ALTER DATABASE \(name) ALLOW_CONNECTIONS false") == 0)
        #expect(
            Self.spawnAndWait(sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
                == 0
        )
        // Connections are allowed again whatever happens meanwhile, so that the test can end.
        do {
            try await waitUntil("/readyz says not ready") { Self.status(port: port, path: "/readyz") == 503 }
            try await Task.sleep(for: .seconds(2))
        } catch {
            Issue.record("the daemon's log:\n\(daemon.log)")
        }
        #expect(Self.spawnAndWait(sql, "ALTER DATABASE \(name) ALLOW_CONNECTIONS true") == 0)

        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        try await waitUntil("every file succeeds", timeout: .seconds(60)) {
            (try? store.ledger(pipeline: "pg").values.filter { $0.state == .succeeded }.count) == 6
        }
        try await waitUntil("/readyz is ready again") { Self.status(port: port, path: "/readyz") == 200 }
        #expect(try await daemon.stop() == 0)
        let lines = workspace.lines("out/calls")
        #expect(lines.count == 6 && Set(lines).count == 6, "each file ran once: \(lines)")
        #expect(daemon.log.contains("the state database is unreachable"), "the loss is logged")
    }

    /// A daemon on `state` whose pipeline takes 1 s per file and records each call in
    /// `out/calls`, `files` files dropped, and its HTTP port, once the first run has ended.
    static func outageDaemon(
        _ workspace: Workspace,
        state: String,
        environment: [String: String],
        files: Int
    ) async throws -> (DaemonProcess, String) {
        try workspace.manifest(
            "pg",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["/bin/sh", "-c", "sleep 1; echo \\"$0\\" >> \\"$1\\"", "${file.name}", "\(workspace.path("out/calls"))"], concurrency: 2}

            """
        )
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--state", state], environment: environment)
        let port = try await daemon.httpPort()
        for index in 1...files { try workspace.write("data/in/f\(index).csv", "row,\(index)\n") }
        try await waitUntil("runs have started") { workspace.exists("out/calls") }
        return (daemon, port)
    }

    /// Runs `program arguments…` and waits for it with waitpid: Foundation's Process was seen to
    /// miss the end of a child that ran `runuser` (a zombie it never reaped, a wait without end).
    static func spawnAndWait(_ program: String, _ arguments: String...) -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, program, nil, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }

    /// An HTTP status by hand (no shared client state between tests).
    static func status(port: String, path: String) -> Int {
        guard
            let reply = try? ConsoleEndpointTests.raw(
                port: port,
                request: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
        else { return 0 }
        return Int(reply.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

extension PostgresStateTests {
    /// The server itself stopped for 10 s, then started again, under a running daemon, on a
    /// cluster of the test's own (scripts/pg-cluster.sh): runs go on, `/readyz` says not ready,
    /// files that arrive meanwhile wait, every outcome is recorded once it is back, and nothing
    /// that succeeded runs again.
    @Test(.enabled(if: url != nil || environment["CI"] == "true", "needs PostgreSQL (scripts/services.sh installs it)"))
    func theServerStoppedAndRestartedLosesNothing() async throws {
        let cluster = try CLI.temporaryDirectory().appendingPathComponent("pg").path
        let script = CLI.repository.appendingPathComponent("scripts/pg-cluster.sh").path
        #expect(Self.spawnAndWait(script, "create", cluster) == 0)
        defer {
            _ = Self.spawnAndWait(script, "stop", cluster)
            try? FileManager.default.removeItem(atPath: PathResolution.directory(of: cluster))
        }
        let port = try String(contentsOfFile: cluster + "/port", encoding: .utf8).trimmingCharacters(in: .newlines)
        let password = try String(contentsOfFile: cluster + "/password", encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let state = "postgres://orchestrator@127.0.0.1:\(port)/postgres?sslmode=disable"
        let env = ["PGPASSWORD": password]
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (daemon, http) = try await Self.outageDaemon(workspace, state: state, environment: env, files: 10)

        #expect(Self.spawnAndWait(script, "stop", cluster) == 0)
        let stopped = ContinuousClock.now
        for index in 11...14 { try workspace.write("data/in/f\(index).csv", "row,\(index)\n") }
        try await waitUntil("/readyz says not ready", timeout: .seconds(60)) {
            Self.status(port: http, path: "/readyz") == 503
        }
        // The outage lasts 10 s, as in the scenario: the wait is the scenario, not a hope.
        try await Task.sleep(until: stopped + .seconds(10))
        #expect(Self.spawnAndWait(script, "start", cluster) == 0)

        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: password)
        try await waitUntil("every file succeeds", timeout: .seconds(90)) {
            (try? store.ledger(pipeline: "pg").values.filter { $0.state == .succeeded }.count) == 14
        }
        try await waitUntil("/readyz is ready again") { Self.status(port: http, path: "/readyz") == 200 }
        #expect(try await daemon.stop() == 0)
        let lines = workspace.lines("out/calls")
        #expect(lines.count == 14 && Set(lines).count == 14, "each file ran once: \(lines.sorted())")
        let runs = try store.runs(pipeline: "pg", limit: 100)
        #expect(runs.filter { $0.outcome == .succeeded }.count == 14, "one success each")
    }
}
