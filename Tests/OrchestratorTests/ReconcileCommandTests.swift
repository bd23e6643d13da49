import Foundation
import Glibc
import Testing

@Suite("orchestrator plan and reconcile")
struct ReconcileCommandTests {
    /// A pipeline that appends each file's absolute path to out/seen.log.
    private func recordingPipeline(_ workspace: Workspace, extra: String = "") throws {
        try workspace.manifest(
            "rec",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'printf "%s\\n" "$1" >> "$0"', ../out/seen.log, "${file}"]
                workingDir: ../pipelines
            \(extra)
            """
        )
    }

    @Test func planThenReconcileThenNothingToDo() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        try workspace.write("data/in/a.csv", "a\n")
        try workspace.write("data/in/b.csv", "b\n")

        let plan = try await workspace.run(["plan", "--detailed-exitcode"])
        #expect(plan.status == 2)
        #expect(plan.stdout.hasSuffix("Plan: 1 pipeline to create, 2 files to process.\n"))
        #expect(!workspace.exists("out/seen.log"), "planning runs nothing")

        let first = try await workspace.run(["reconcile"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(
            workspace.lines("out/seen.log").sorted()
                == [workspace.path("data/in/a.csv"), workspace.path("data/in/b.csv")].sorted()
        )

        let second = try await workspace.run(["reconcile"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("No changes: 2 skipped."))
        #expect(workspace.lines("out/seen.log").count == 2)
        #expect(try await workspace.run(["plan", "--detailed-exitcode"]).status == 0)
    }

    @Test func sameContentUnderANewNameIsSkippedNewContentUnderAnOldNameIsNot() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        try workspace.write("data/in/a.csv", "one\n")
        #expect(try await workspace.run(["reconcile"]).status == 0)

        try FileManager.default.moveItem(
            atPath: workspace.path("data/in/a.csv"),
            toPath: workspace.path("data/in/renamed.csv")
        )
        try workspace.write("data/in/copy.csv", "one\n")
        let plan = try await workspace.run(["plan", "--show-skipped"])
        #expect(plan.stdout.contains("= copy.csv"))
        #expect(plan.stdout.contains("already processed"))
        #expect(plan.stdout.contains("as a.csv"))
        #expect(try await workspace.run(["reconcile"]).status == 0)
        #expect(workspace.lines("out/seen.log").count == 1)
        let history = try await workspace.run(["ledger", "rec"])
        #expect(history.stdout.contains("seen as: a.csv, copy.csv, renamed.csv"), "\(history.stdout)")

        try workspace.write("data/in/renamed.csv", "two, a new version\n")
        let replan = try await workspace.run(["plan"])
        #expect(replan.stdout.contains("~ renamed.csv"))
        #expect(replan.stdout.contains("new content for a known path"))
        #expect(try await workspace.run(["reconcile"]).status == 0)
        #expect(
            workspace.lines("out/seen.log") == [workspace.path("data/in/a.csv"), workspace.path("data/in/renamed.csv")]
        )
    }

    @Test func failuresRetryThenQuarantineThenMoveTheFile() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "bad",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: [sh, -c, "echo failing on $0; exit 3", "${file.name}"], retries: 1, backoff: 10ms}
              onFailure: {action: move, to: ../data/failed}
            """
        )
        try workspace.write("data/in/x.csv", "x\n")
        let first = try await workspace.run(["reconcile"])
        #expect(first.status == 1)
        #expect(first.stdout.contains("✗ bad/x.csv: exited with code 3 (failed; log: "))
        try await Task.sleep(for: .milliseconds(50))
        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("↻ x.csv"))
        #expect(plan.stdout.contains("due now, after 1 attempt: exited with code 3"))
        let second = try await workspace.run(["reconcile"])
        #expect(second.status == 1)
        #expect(second.stdout.contains("(quarantined;"))
        #expect(!workspace.exists("data/in/x.csv"))
        #expect(workspace.read("data/failed/x.csv") == "x\n")

        let ledger = try await workspace.run(["ledger", "bad", "--output", "json"])
        #expect(ledger.stdout.contains("\"state\" : \"quarantined\""))
        #expect(ledger.stdout.contains("\"last_exit_code\" : 3"))
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let marker = workspace.path("out/grandchild.pid")
        try workspace.manifest(
            "slow",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: [sh, -c, "sleep 300 & echo $! > \(marker); wait", "${file}"], timeout: 300ms, retries: 0}
            """
        )
        try workspace.write("data/in/x.csv", "x\n")
        let result = try await workspace.run(["reconcile", "--kill-grace", "1"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("timed out"))
        let pid = try #require(
            Int32(workspace.read("out/grandchild.pid").trimmingCharacters(in: .whitespacesAndNewlines))
        )
        #expect(!isAlive(pid), "the grandchild sleep must be gone")
    }

    @Test(arguments: [
        "with space.csv", "new\nline.csv", "été ☃.csv", "$(touch pwned).csv", "-leading-dash.csv", "quote'\"`.csv",
    ])
    func hostileNamesReachTheCommandByteForByte(_ name: String) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "names",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: [sh, -c, 'printf "%s" "$1" > "$0"', \(workspace.path("out/name")), "${file.name}"]}
            """
        )
        try workspace.write("data/in/" + name, "x\n")
        let result = try await workspace.run(["reconcile"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(workspace.read("out/name") == name)
        #expect(
            !workspace.exists("pwned") && !workspace.exists("pipelines/pwned") && !workspace.exists("data/in/pwned")
        )
    }

    @Test func secretsNeverShow() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.write("out/expected", "lit3ral-pa55")
        try workspace.manifest(
            "s",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo "token is $API_TOKEN"; echo "$db_password"; test "$db_password" = "$(cat ../out/expected)"']
                workingDir: ../pipelines
                env: {API_TOKEN: {fromEnv: TOKEN_SOURCE}, db_password: lit3ral-pa55}
            """
        )
        try workspace.write("data/in/x.csv", "x\n")
        let environment = ["TOKEN_SOURCE": "s3cr3t-from-env"]
        let result = try await workspace.run(["reconcile"], environment: environment)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try workspace.manifest(
            "s",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo lit3ral-pa55 is no longer used']
                env: {API_TOKEN: {fromEnv: TOKEN_SOURCE}, db_password: n3w-pa55}
            """
        )
        let text = try await workspace.run(["plan"], environment: environment)
        let json = try await workspace.run(["plan", "--output", "json"], environment: environment)
        try await JSONSchemaCheck.expectValid(json.stdout)
        #expect(text.stdout.contains("~ spec.run.env.db_password: (sensitive value changed)"))
        #expect(json.stdout.contains("\"sensitive\" : true"))
        let logs = try FileManager.default.subpathsOfDirectory(atPath: workspace.path(".orchestrator/logs")).map {
            workspace.read(".orchestrator/logs/" + $0)
        }.joined()
        #expect(logs.contains("token is (sensitive)"))
        for secret in ["s3cr3t-from-env", "lit3ral-pa55", "n3w-pa55"] {
            #expect(!text.stdout.contains(secret), "text plan shows \(secret)")
            #expect(!json.stdout.contains(secret), "JSON plan shows \(secret)")
            #expect(!logs.contains(secret), "logs show \(secret)")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "reconcile shows \(secret)")
        }
    }
}
