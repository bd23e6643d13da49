import Foundation
import Testing

/// The container runner, against a stand-in `docker` on PATH: no Docker engine runs here, so a
/// script records the command line and env file it receives, as the real client would get them.
@Suite("Container runs")
struct ContainerTests {
    private func fakeDocker(_ workspace: Workspace) throws -> [String: String] {
        try workspace.write(
            "bin/docker",
            """
            #!/bin/sh
            out="\(workspace.path("out"))"
            if [ "$1" = kill ]; then echo "$2" >> "$out/killed"; exit 0; fi
            if [ "$1" = rm ]; then exit 0; fi
            printf '%s\\n' "$@" > "$out/args"
            while [ $# -gt 0 ]; do
              if [ "$1" = --env-file ]; then cp "$2" "$out/env"; fi
              shift
            done
            [ -e "$out/hang" ] && exec sleep 60
            exit 0
            """
        )
        chmod(workspace.path("bin/docker"), 0o755)
        return [
            "PATH": workspace.path("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "ES_PASSWORD": "from-env-5ecret",
        ]
    }

    private let spec = """
          watch: {path: ../data/in, settle: 0s}
          run:
            container:
              image: default-etl:prod
              args: ["-p", "default", "${file.name}"]
              options: ["--network=host"]
              volumes: ["data_upload_data:/data"]
            env: {elasticsearch_host: localhost, elasticsearch_password: {fromEnv: ES_PASSWORD}}
            timeout: 500ms
            retries: 0
        """

    @Test func commandLineAndEnvFile() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let environment = try fakeDocker(workspace)
        try workspace.manifest("etl", spec)
        try workspace.write("data/in/report 1.csv", "a\n")
        let result = try await workspace.run(["reconcile"], environment: environment)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let args = workspace.lines("out/args")
        #expect(args.count == 13, "\(args)")
        #expect(Array(args.prefix(3)) == ["run", "--rm", "--name"])
        #expect(args[3].hasPrefix("orchestrator-etl-"))
        #expect(args[4] == "--env-file")
        #expect(
            Array(args.suffix(7)) == [
                "--network=host", "-v", "data_upload_data:/data", "default-etl:prod", "-p", "default", "report 1.csv",
            ]
        )
        #expect(
            workspace.lines("out/env") == ["elasticsearch_host=localhost", "elasticsearch_password=from-env-5ecret"]
        )
        #expect(
            !workspace.exists(".orchestrator/logs/etl/" + args[3].dropFirst("orchestrator-etl-".count) + ".env"),
            "the env file is removed after the run"
        )
    }

    @Test func timeoutKillsTheContainerByName() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let environment = try fakeDocker(workspace)
        try workspace.manifest("etl", spec)
        try workspace.write("out/hang", "")
        try workspace.write("data/in/x.csv", "x\n")
        let result = try await workspace.run(["reconcile", "--kill-grace", "1"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("timed out"))
        let name = try #require(workspace.lines("out/args").dropFirst(3).first)
        #expect(workspace.lines("out/killed") == [name])
    }
}
