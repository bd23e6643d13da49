import Foundation
import Glibc
import Testing

/// `orchestrator run` in a workspace, as a real process with real inotify, its JSON log in
/// `out/daemon.log`.
final class DaemonProcess {
    let workspace: Workspace
    let process = Process()
    let logPath: String

    init(
        _ workspace: Workspace,
        arguments: [String] = [],
        environment: [String: String] = [:],
        log: String = "out/daemon.log"
    ) throws {
        self.workspace = workspace
        logPath = workspace.path(log)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = CLI.productsDirectory.appendingPathComponent("orchestrator")
        process.arguments = ["run", "--listen", "127.0.0.1:0", "--log-format", "json", "--drain", "10"] + arguments
        process.currentDirectoryURL = workspace.root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    /// Starts a daemon and waits until it has planned its backlog.
    static func start(
        _ workspace: Workspace,
        arguments: [String] = [],
        environment: [String: String] = [:],
        log: String = "out/daemon.log"
    ) async throws -> DaemonProcess {
        let daemon = try DaemonProcess(workspace, arguments: arguments, environment: environment, log: log)
        try await waitUntil("the daemon runs") {
            daemon.log.contains("\"message\":\"running\"") || !daemon.process.isRunning
        }
        #expect(daemon.process.isRunning, "the daemon stopped: \(daemon.log)")
        return daemon
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port the HTTP server bound (`--listen 127.0.0.1:0`), once it has logged it.
    func httpPort() async throws -> String {
        let pattern = /"address":"\[IPv4\]127\.0\.0\.1\/127\.0\.0\.1:(\d+)"/
        try await waitUntil("the HTTP server listens") { log.firstMatch(of: pattern) != nil || !process.isRunning }
        return String(try #require(log.firstMatch(of: pattern)?.1))
    }

    /// Sends `signal` and waits for the daemon to exit; returns its exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        try await waitUntil("the daemon exits", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
