import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` as Prometheus expects it: every metric described, per-pipeline counters present
/// at zero from the pipeline's start, and `promtool check metrics` content with a scrape.
@Suite("Daemon metrics")
struct MetricsTests {
    static let promtool = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_PROMTOOL"]

    @Test func everyMetricIsDescribedAndCountersStartAtZero() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "rec",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["true"]}
            """
        )
        let daemon = try await DaemonProcess.start(workspace)
        let address = try await daemon.httpPort()
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(address)/metrics")!)
        #expect(try await daemon.stop() == 0)
        let scrape = String(decoding: data, as: UTF8.self)
        for counter in [
            "orchestrator_files_processed_total", "orchestrator_files_failed_total",
            "orchestrator_files_quarantined_total",
        ] {
            #expect(scrape.contains("\(counter){pipeline=\"rec\"} 0\n"), "\(counter) at zero before any run: \(scrape)")
        }
        let families = scrape.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map {
            $0.split(separator: " ")[2]
        }
        #expect(!families.isEmpty)
        for family in families {
            #expect(scrape.contains("# HELP \(family) "), "no HELP line for \(family)")
        }
        if let promtool = Self.promtool {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: promtool)
            check.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            check.standardInput = input
            check.standardOutput = output
            check.standardError = output
            try check.run()
            input.fileHandleForWriting.write(data)
            try input.fileHandleForWriting.close()
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0 && report.isEmpty, "promtool check metrics: \(report)")
        }
    }
}
