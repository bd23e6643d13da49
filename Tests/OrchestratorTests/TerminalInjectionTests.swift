import Foundation
import Testing

/// File names are chosen by whoever drops a file: every text output shows their control
/// characters as escapes, so none retitles the terminal, colours it or fakes a result line.
@Suite("Terminal injection")
struct TerminalInjectionTests {
    @Test func controlCharactersInNamesAreEscapedInEveryTextOutput() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "rec",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["true"]}
            """
        )
        let hostile = "esc\u{1B}]0;PWNED\u{07}\u{1B}[31mred.csv"
        try workspace.write("data/in/\(hostile)", "1")
        try workspace.write("data/in/fail\n✓ rec/forged.csv: succeeded.csv", "2")
        let outputs = [
            try await workspace.run(["plan"]), try await workspace.run(["reconcile"]),
            try await workspace.run(["ledger", "rec"]), try await workspace.run(["status"]),
        ]
        for output in outputs {
            let text = output.stdout + output.stderr
            #expect(!text.contains("\u{1B}") && !text.contains("\u{07}"), "\(text)")
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("✓ rec/forged.csv") }, "\(text)")
        }
        #expect(outputs[0].stdout.contains(#"+ esc\e]0;PWNED\x07\e[31mred.csv"#), "\(outputs[0].stdout)")
        #expect(
            outputs[1].stdout.contains(#"✓ rec/fail\n✓ rec/forged.csv: succeeded.csv: succeeded"#),
            "\(outputs[1].stdout)"
        )
    }
}
