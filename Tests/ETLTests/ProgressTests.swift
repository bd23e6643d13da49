import Foundation
import ProgressDisplay
import TestSupport
import Testing

/// Progress lines: drawn on a terminal (a real pseudo-terminal, through util-linux `script`),
/// never in a pipe, where only the summary lines are printed.
@Suite("Progress on a terminal")
struct ProgressTests {
    @Test func textOfAProgressLine() {
        #expect(ProgressText.eta(done: 25, total: 100, elapsed: .seconds(10)) == "ETA 30s")
        #expect(ProgressText.eta(done: 0, total: 100, elapsed: .seconds(10)) == "ETA --")
        #expect(ProgressText.duration(187) == "3m07s")
        #expect(ProgressText.duration(3725) == "1h02m")
        #expect(ProgressText.rate(1_500_000, elapsed: .seconds(2)) == "750,000/s")
        #expect(ProgressText.bytes(512) == "512 B")
        #expect(ProgressText.bytes(3_565_158) == "3.4 MiB")
        #expect(ProgressText.bytes(500 << 20) == "500 MiB")
    }

    @Test(.enabled(if: PseudoTerminal.isAvailable, "util-linux script is needed for a pseudo-terminal"))
    func defaultETLDrawsRowsRateAndETAOnATerminalOnly() throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        let rows = (1...40_000).map { "\($0),name \($0)" }.joined(separator: "\n")
        try workspace.write("data/default/big.csv", "id,name\n" + rows + "\n")
        let etl = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "default-etl"
        ).path
        let (status, screen) = try PseudoTerminal.run([
            etl, "--config-dir", workspace.path("config"), "--sink", "ndjson:" + workspace.path("out.ndjson"),
            workspace.path("data/default/big.csv"),
        ])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("big.csv: loading 8,192 rows, "), "\(screen)")
        #expect(screen.contains("ETA "))
        #expect(screen.contains("\r\u{1B}[Kbig.csv: 40000 rows → "), "the line is erased before the summary: \(screen)")

        let piped = try workspace.run([
            "--sink", "ndjson:" + workspace.path("again.ndjson"), workspace.path("data/default/big.csv"),
        ])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("loading"), "no progress line in a pipe")
        #expect(piped.stdout.hasPrefix("big.csv: 40000 rows → "))
    }

    @Test func versionIsPrinted() throws {
        let workspace = try ETLWorkspace()
        defer { workspace.remove() }
        let result = try workspace.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(result.stdout)")
    }
}
