import Foundation
import Testing

/// The console in a real browser (headless Chromium, Selenium): the scenario of
/// `Tests/Browser/console_scenario.py` against a real daemon. Screenshots of each page are kept
/// in `.build/test-artifacts/browser` when it fails.
@Suite("Web console in Chromium")
struct ConsoleBrowserTests {
    static let environment = ProcessInfo.processInfo.environment
    static let python = environment["ORCHESTRATOR_TEST_SELENIUM_PYTHON"]
    static let available = python != nil && environment["ORCHESTRATOR_TEST_CHROMEDRIVER"] != nil

    @Test(.enabled(if: available || environment["CI"] == "true", "needs scripts/services.sh (Chromium, Selenium)"))
    func aNewUserWorksThroughEveryPage() async throws {
        let python = try #require(Self.python, "CI runs with the browser installed by scripts/services.sh")
        let workspace = try Workspace()
        defer { workspace.remove() }
        for (user, role) in [("ada", "admin"), ("vic", "viewer")] {
            #expect(
                try await workspace.run(["users", "add", user, "--role", role], input: "password-\(user)\n").status == 0
            )
        }
        let daemon = try await DaemonProcess.start(workspace)
        let port = try await daemon.httpPort()
        let artifacts = CLI.repository.appendingPathComponent(".build/test-artifacts/browser")
        try? FileManager.default.removeItem(at: artifacts)
        let scenario = CLI.repository.appendingPathComponent("Tests/Browser/console_scenario.py").path
        let result = try await CLI.runProgram(
            python,
            [scenario, "http://127.0.0.1:\(port)", workspace.path("data/in"), artifacts.path]
        )
        #expect(
            result.status == 0,
            "\(result.stderr)\nscreenshots in \(artifacts.path)\ndaemon log:\n\(daemon.log.suffix(3000))"
        )
        if result.status == 0 { try? FileManager.default.removeItem(at: artifacts) }
        // An open page's event stream must not hold up a graceful shutdown.
        #expect(try await daemon.stop(timeout: .seconds(10)) == 0)
    }
}
