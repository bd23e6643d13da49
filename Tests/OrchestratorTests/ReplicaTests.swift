import Foundation
import Glibc
import Model
import Reconciler
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Three `orchestrator run` replicas on one folder and one PostgreSQL state, under a steady
/// stream of files, one SIGKILLed and restarted, another SIGSTOPped past its lease and continued.
@Suite("Replicas sharing the work", .serialized)
struct ReplicaTests {
    static let enabled = PostgresStateTests.url != nil || PostgresStateTests.environment["CI"] == "true"

    static let elasticsearch = PostgresStateTests.environment["ORCHESTRATOR_TEST_ES_URL"]

    /// What each content runs: a command that records each call, or the default ETL into the
    /// Elasticsearch-compatible server (each call recorded by a wrapper around it).
    enum Command: String, CaseIterable, Sendable {
        case recorder
        case defaultETL
    }

    @Test(.enabled(if: enabled, "needs scripts/services.sh (PostgreSQL)"), arguments: Command.allCases)
    func killedAndFrozenReplicasLoseNothingAndRunEachContentOnce(_ command: Command) async throws {
        let (state, env, _) = try PostgresStateTests.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        let calls = workspace.path("out/calls")
        let index = "replicas-" + UUID().uuidString.lowercased()
        var run = ["/bin/sh", "-c", "echo \"$0\" >> \"$1\"", "${file.name}", calls]
        if command == .defaultETL {
            let server = try #require(Self.elasticsearch, "scripts/services.sh starts osmem-server")
            let config = CLI.repository.appendingPathComponent("default-ETL")
            try workspace.write("etl/config.json", #"{"path_to_data": "data/", "host": ""}"#)
            try workspace.write(
                "etl/index_mappings.json",
                try String(contentsOf: config.appendingPathComponent("index_mappings.json"), encoding: .utf8)
            )
            try workspace.write(
                "etl/parameters.json",
                #"{"process": {"default": {"class": "pypel.Process", "path": "in", "index_pattern": "\#(index)"}}}"#
            )
            let etl = CLI.productsDirectory.appendingPathComponent("default-etl").path
            run = [
                "/bin/sh", "-c", "echo \"$0\" >> \"$1\"; shift; exec \"$@\"", "${file.name}", calls,
                etl, "-p", "default", "--config-dir", workspace.path("etl"), "--sink", server, "${file}",
            ]
        }
        let argv = run.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        try workspace.manifest(
            "shared",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: [\(argv.joined(separator: ", "))], concurrency: 4}

            """
        )
        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        let arguments = ["--state", state, "--lease", "3", "--max-jobs", "2"]
        func replica(_ index: Int) async throws -> DaemonProcess {
            try await DaemonProcess.start(
                workspace,
                arguments: arguments,
                environment: env,
                log: "out/replica\(index)-\(UUID().uuidString.prefix(4)).log"
            )
        }
        var replicas = [try await replica(1), try await replica(2), try await replica(3)]
        let count = 3000
        let writer = Task.detached {
            for batch in 0..<30 {
                for index in batch * 100..<(batch + 1) * 100 {
                    try workspace.write("data/in/f\(index).csv", "id,value\n\(index),row \(index)\n")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        func called() -> Int { workspace.lines("out/calls").count }

        try await waitUntil("300 calls", timeout: .seconds(120)) { called() >= 300 }
        kill(replicas[0].process.processIdentifier, SIGKILL)
        try await waitUntil("the killed replica is gone") { !replicas[0].process.isRunning }
        let killed = replicas[0]
        replicas[0] = try await replica(1)

        try await waitUntil("900 calls", timeout: .seconds(120)) { called() >= 900 }
        kill(replicas[1].process.processIdentifier, SIGSTOP)
        try await Task.sleep(for: .seconds(5))  // past its 3-second lease: the others take over
        kill(replicas[1].process.processIdentifier, SIGCONT)

        try await writer.value
        try await waitUntil("every content succeeds", timeout: .seconds(300)) {
            (try? store.ledger(pipeline: "shared").values.filter { $0.state == .succeeded }.count) == count
        }
        for daemon in replicas { #expect(try await daemon.stop() == 0) }

        let ledger = try store.ledger(pipeline: "shared")
        #expect(ledger.count == count && ledger.values.allSatisfy { $0.state == .succeeded })
        let runs = try store.runs(pipeline: "shared", limit: 100_000)
        let successes = Dictionary(grouping: runs.filter { $0.outcome == .succeeded }, by: \.sha256)
        #expect(successes.count == count && successes.values.allSatisfy { $0.count == 1 }, "one success per content")
        let lines = workspace.lines("out/calls")
        #expect(Set(lines).count == count, "every file was run")
        // At-least-once: only the runs in flight in the killed or frozen replica may have run twice.
        #expect(lines.count - count <= 8, "\(lines.count - count) extra calls")
        let shares = ([killed] + replicas).map { daemon in
            daemon.log.components(separatedBy: "\"message\":\"processed\"").count - 1
        }
        // A replica killed between recording a success and logging it leaves at most its jobs unlogged.
        #expect((count - 2...count).contains(shares.reduce(0, +)), "each success logged once: \(shares)")
        #expect(shares[1...].allSatisfy { $0 > 0 }, "every replica did part of the work: \(shares)")
        if command == .defaultETL, let server = Self.elasticsearch {
            #expect(try await Self.documents(server, index) == count, "exactly one document per row, reruns included")
        }
    }

    /// The number of documents in `index`, after a refresh.
    static func documents(_ server: String, _ index: String) async throws -> Int {
        var refresh = URLRequest(url: try #require(URL(string: "\(server)/\(index)/_refresh")))
        refresh.httpMethod = "POST"
        _ = try await URLSession.shared.data(for: refresh)
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: "\(server)/\(index)/_count")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["count"] as? Int ?? -1
    }
}

extension ReplicaTests {
    /// Shared storage without inotify (`poll:`, as on NFS): only one replica looks (SIGHUP), the
    /// other learns of the new contents from its `NOTIFY` at once and takes its share of the queue,
    /// long before its own hour-long poll.
    @Test(.enabled(if: enabled, "needs scripts/services.sh (PostgreSQL)"))
    func anIdleReplicaTakesWorkAnnouncedByAnother() async throws {
        let (state, env, _) = try PostgresStateTests.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "polled",
            """
              watch: {path: ../data/in, settle: 0s, poll: 1h}
              run: {command: ["/bin/sh", "-c", "sleep 0.3"], concurrency: 4}

            """
        )
        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        let arguments = ["--state", state, "--max-jobs", "1"]
        let looking = try await DaemonProcess.start(workspace, arguments: arguments, environment: env, log: "out/a.log")
        let told = try await DaemonProcess.start(workspace, arguments: arguments, environment: env, log: "out/b.log")
        try await waitUntil("both replicas listen for notices") {
            [looking, told].allSatisfy { $0.log.contains("listening for other processes' notices") }
        }
        for index in 0..<20 { try workspace.write("data/in/f\(index).csv", "\(index)\n") }
        kill(looking.process.processIdentifier, SIGHUP)
        try await waitUntil("every content succeeds", timeout: .seconds(60)) {
            (try? store.ledger(pipeline: "polled").values.filter { $0.state == .succeeded }.count) == 20
        }
        let shares = [looking, told].map { $0.log.components(separatedBy: "\"message\":\"processed\"").count - 1 }
        #expect(try await looking.stop() == 0)
        #expect(try await told.stop() == 0)
        #expect(shares.reduce(0, +) == 20)
        #expect(shares[1] >= 5, "the replica that never looked took its share: \(shares)")
    }
}

extension ReplicaTests {
    /// `concurrency: 1` across two replicas: never two runs of the pipeline at once, whichever
    /// replica holds them (a run that finds another under way records an overlap).
    @Test(.enabled(if: enabled, "needs scripts/services.sh (PostgreSQL)"))
    func aPipelinesConcurrencyHoldsAcrossReplicas() async throws {
        let (state, env, _) = try PostgresStateTests.state()
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (lock, overlaps) = (workspace.path("out/running"), workspace.path("out/overlaps"))
        try workspace.manifest(
            "single",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["/bin/sh", "-c", "mkdir \\"$0\\" || echo x >> \\"$1\\"; sleep 0.2; rmdir \\"$0\\"", "\(lock)", "\(overlaps)"], concurrency: 1}

            """
        )
        let store = try PostgresStateStore(info: try PostgresConnectionInfo(url: state), password: env["PGPASSWORD"])
        defer { try? store.dropSchema() }
        let replicas = [
            try await DaemonProcess.start(
                workspace,
                arguments: ["--state", state],
                environment: env,
                log: "out/a.log"
            ),
            try await DaemonProcess.start(
                workspace,
                arguments: ["--state", state],
                environment: env,
                log: "out/b.log"
            ),
        ]
        for index in 0..<12 { try workspace.write("data/in/f\(index).csv", "\(index)\n") }
        try await waitUntil("every content succeeds", timeout: .seconds(60)) {
            (try? store.ledger(pipeline: "single").values.filter { $0.state == .succeeded }.count) == 12
        }
        for daemon in replicas { #expect(try await daemon.stop() == 0) }
        #expect(!workspace.exists("out/overlaps"), "two runs at once: \(workspace.lines("out/overlaps").count)")
    }
}
