import Foundation
import Glibc
import Testing

/// The image scripts/services.sh imported into its podman, when it could.
let podmanImage = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_PODMAN_IMAGE"]

/// Container runs against a real runtime: podman with runc, configured by the variables
/// scripts/services.sh exports (`CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF`), and an image it
/// built from Debian's busybox-static. The orchestrator is given that environment as a user's
/// shell would give it; the client must get it, the container must not.
@Suite(
    "Container runs under podman",
    .serialized,
    .enabled(
        if: podmanImage != nil,
        "scripts/services.sh found no podman with runc (ORCHESTRATOR_TEST_PODMAN_IMAGE unset)"
    )
)
struct PodmanTests {
    static let image = podmanImage

    /// A pipeline whose container copies its file to `out/` under the same name, records its
    /// environment, and exits with the code in the file's name (`exit-3.csv`), or sleeps while
    /// a file named `hang*` has no `out/release` beside it.
    private func pipeline(_ workspace: Workspace, timeout: String = "0s") throws {
        let script = #"""
            cp "/in/$1" "/out/$1" && env | sort > "/out/$1.env"
            case "$1" in
              exit-*) code=$${1#exit-}; exit "$${code%.csv}" ;;
              hang*) while [ ! -e /out/release ]; do sleep 0.1; done ;;
            esac
            """#
        try workspace.manifest(
            "boxed",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                container:
                  runtime: podman
                  image: \(Self.image ?? "")
                  args: [sh, -c, \(Self.yamlQuoted(script)), script, "${file.relpath}"]
                  options: ["--network=none"]
                  volumes: ["\(workspace.path("data/in")):/in:ro", "\(workspace.path("out")):/out"]
                env: {GREETING: "bonjour, monde", TOKEN: {fromEnv: TEST_TOKEN}}
                timeout: \(timeout)
                retries: 0
            """
        )
    }

    static func yamlQuoted(_ text: String) -> String {
        "\""
            + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    static let environment = ["TEST_TOKEN": "t0ken-5ecret", "NOT_FOR_CONTAINERS": "leak"]

    /// The names of the containers that exist, running or not.
    static func containers() throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["podman", "ps", "-a", "--format", "{{.Names}}"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("orchestrator-")
        }
    }

    @Test func envFileVolumesBytesAndExitCodes() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try pipeline(workspace)
        let awkward = "l'été \"x\" $(touch pwned) ; *.csv"
        let bytes = Data([0x00, 0xFF, 0x0A, 0x0D]) + Data("a;b\n1;2\n".utf8)
        try bytes.write(to: URL(fileURLWithPath: workspace.path("data/in/\(awkward)")))
        try workspace.write("data/in/exit-3.csv", "three\n")

        let result = try await workspace.run(["reconcile"], environment: Self.environment)
        #expect(result.status == 1, "one run exits 3: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("✓ boxed/\(awkward)"), "\(result.stdout)")
        #expect(result.stdout.contains("✗ boxed/exit-3.csv: exited with code 3"), "\(result.stdout)")
        #expect(
            FileManager.default.contents(atPath: workspace.path("out/\(awkward)")) == bytes,
            "the file reaches the container byte for byte"
        )
        #expect(
            !workspace.exists("pwned") && !workspace.exists("out/pwned"),
            "no shell between the name and the command"
        )

        let env = workspace.lines("out/\(awkward).env")
        #expect(env.contains("GREETING=bonjour, monde"))
        #expect(env.contains("TOKEN=t0ken-5ecret"), "a fromEnv secret reaches the container through the env file")
        #expect(
            !env.contains { $0.hasPrefix("NOT_FOR_CONTAINERS=") || $0.hasPrefix("CONTAINERS_CONF=") },
            "the container gets run.env only: \(env)"
        )
        #expect(try Self.containers().isEmpty, "--rm: no container left")
    }

    @Test func aTimeoutKillsTheContainerItself() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try pipeline(workspace, timeout: "2s")
        try workspace.write("data/in/hang.csv", "h\n")
        let result = try await workspace.run(["reconcile", "--kill-grace", "1"], environment: Self.environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("timed out"), "\(result.stdout)")
        try await waitUntil("no container is left") { (try? Self.containers().isEmpty) == true }
    }

    @Test func theDaemonKilledMidRunThenRestarted() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try pipeline(workspace)
        try workspace.write("data/in/hang-then-done.csv", "h\n")
        let first = try await DaemonProcess.start(workspace, environment: Self.environment)
        try await waitUntil("the container runs") {
            (try? Self.containers().count) == 1 && workspace.exists("out/hang-then-done.csv.env")
        }
        let orphan = try Self.containers()
        #expect(try await first.stop(SIGKILL) == SIGKILL)
        #expect(try Self.containers() == orphan, "killing the orchestrator leaves its container running")

        try FileManager.default.removeItem(atPath: workspace.path("out/hang-then-done.csv.env"))
        let second = try await DaemonProcess.start(workspace, environment: Self.environment, log: "out/daemon2.log")
        try await waitUntil("the restarted daemon removes the orphan and runs the content again") {
            let now = (try? Self.containers()) ?? []
            return now.count == 1 && now != orphan && workspace.exists("out/hang-then-done.csv.env")
        }
        #expect(second.log.contains("recovered runs left by an orchestrator that stopped"))
        try workspace.write("out/release", "")
        try await waitUntil("the rerun succeeds") { second.log.contains("\"message\":\"processed\"") }
        #expect(try await second.stop() == 0)
        try await waitUntil("no container is left") { (try? Self.containers().isEmpty) == true }
        let ledger = try await workspace.run(["ledger", "boxed"])
        #expect(ledger.stdout.contains("succeeded"), "\(ledger.stdout)")
    }
}
