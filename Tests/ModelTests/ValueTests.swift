import Foundation
import Model
import Testing

@Suite("Durations")
struct TimeSpanTests {
    @Test(arguments: [
        ("500ms", 500), ("2s", 2000), ("15m", 900_000), ("1h30m", 5_400_000), ("1.5s", 1500), ("1d", 86_400_000),
        ("0", 0), ("0s", 0),
    ])
    func parses(_ text: String, _ milliseconds: Int64) throws {
        #expect(try TimeSpan.parse(text).get() == TimeSpan(milliseconds: milliseconds))
    }

    @Test(arguments: ["", "2", "2x", "s", "1.5ms", "-1s", "1h 30m"])
    func rejects(_ text: String) {
        #expect(throws: DurationError.self) { try TimeSpan.parse(text).get() }
    }

    @Test func canonicalSpelling() {
        #expect(TimeSpan(milliseconds: 5_400_000).description == "1h30m")
        #expect(TimeSpan(milliseconds: 1500).description == "1s500ms")
        #expect(TimeSpan.zero.description == "0s")
        #expect(TimeSpan.seconds(90).description == "1m30s")
    }
}

@Suite("Globs")
struct GlobTests {
    @Test(arguments: [
        ("*.csv", "a.csv", true), ("*.csv", "sub/dir/a.csv", true), ("*.csv", "a.csv.bak", false),
        ("reports/*.csv", "reports/a.csv", true), ("reports/*.csv", "x/reports/a.csv", false),
        ("reports/*.csv", "reports/q1/a.csv", false),
        ("reports/**/*.csv", "reports/a.csv", true), ("reports/**/*.csv", "reports/q1/m3/a.csv", true),
        ("**/tmp/**", "a/tmp/b/c.csv", true), ("/top.csv", "top.csv", true), ("/top.csv", "sub/top.csv", false),
        ("data-?.csv", "data-1.csv", true), ("data-?.csv", "data-12.csv", false),
        ("[a-c]*.csv", "b.csv", true), ("[!a-c]*.csv", "b.csv", false), ("[^a-c]*.csv", "d.csv", true),
        ("*.{csv,xlsx}", "a.xlsx", true), ("*.{csv,xlsx}", "a.xls", false), ("\\*.csv", "*.csv", true),
        ("\\*.csv", "a.csv", false),
        (".*", ".hidden", true), ("~$*", "~$budget.xlsx", true), ("*.tmp", "upload.csv.tmp", true),
        ("é*.csv", "été.csv", true),
        ("a/**/b", "a/b", true), ("a/**/b", "a/x/y/b", true), ("a/**/b", "ab", false), ("**", "x/y.csv", true),
        ("*-{a,b{c,d}}-*.csv", "x-bd-y.csv", true), ("*-{a,b{c,d}}-*.csv", "x-b-y.csv", false),
        ("{x,}*.csv", "y.csv", true),
        ("*.csv", "sub/dir/", false), ("*/*.csv", "a/b.csv", true), ("*/*.csv", "a/b/c.csv", false),
    ])
    func matches(_ pattern: String, _ path: String, _ expected: Bool) throws {
        #expect(try Glob(pattern).matches(path) == expected)
    }

    /// Matching takes time linear in the name: a backtracking matcher needs about 2^n steps here
    /// and never ends. The limit bounds a hang; it is not a timing target.
    @Test(.timeLimit(.minutes(1)))
    func manyStarsAgainstALongNameEndQuickly() throws {
        let name = String(repeating: "-", count: 400)
        #expect(try Glob("*-*-*-*-*-*-*-*-*-*-*-*.csv").matches(name) == false)
        #expect(try Glob("**/**/**/**/**/**/**/x").matches(String(repeating: "a/", count: 200)) == false)
    }

    @Test(arguments: ["", "[abc", "{a,b", "a}", "trailing\\", "[z-a]"])
    func rejects(_ pattern: String) {
        #expect(throws: GlobError.self) { try Glob(pattern) }
    }
}

@Suite("POSIX extended regex")
struct ExtendedRegexTests {
    @Test func matchesAnywhereLikeGrep() throws {
        let regex = try ExtendedRegex("\\.(csv|xlsx)$").compile()
        #expect(regex.matches("a/b.csv"))
        #expect(regex.matches("b.xlsx"))
        #expect(!regex.matches("b.csv.bak"))
    }

    @Test func rejectsInvalidAndPerlOnlySyntax() {
        #expect(throws: RegexError.self) { try ExtendedRegex("(open") }
        #expect(throws: RegexError.self) { try ExtendedRegex("\\d+\\.csv") }
        #expect((try? ExtendedRegex("\\\\d")) != nil, "an escaped backslash followed by d is fine")
    }
}

@Suite("Templates")
struct TemplateTests {
    @Test func parsesReferencesAndEscapes() throws {
        let template = try Template("in=${file} name=${file.name} cost=$$5 ${TOKEN} $HOME")
        #expect(template.references == [.file, .fileName, .env("TOKEN")])
        let rendered = template.render { variable in
            switch variable {
            case .file: return "/d/a b.csv"
            case .fileName: return "a b.csv"
            case .env(let name): return "<\(name)>"
            default: return "?"
            }
        }
        #expect(rendered == "in=/d/a b.csv name=a b.csv cost=$5 <TOKEN> $HOME")
    }

    @Test(arguments: ["${", "${file", "${file.nme}", "${}", "${a-b}"])
    func rejects(_ text: String) {
        #expect(throws: TemplateError.self) { try Template(text) }
    }

    @Test(arguments: ["plain", "$", "a$b", "${file}", "$${x}", "p@ss$${{", "$$$"])
    func literalRendersToItself(_ text: String) {
        let template = Template.literal(text)
        #expect(template.references.isEmpty)
        #expect(template.render { _ in "!" } == text)
    }

    @Test func terminalSafeText() {
        #expect("plain é.csv".terminalSafe == "plain é.csv")
        #expect("a\u{1B}[31m\u{07}b\nc\td\r".terminalSafe == #"a\e[31m\x07b\nc\td\r"#)
        #expect("x\u{9B}y\u{202E}z".terminalSafe == #"x\x9by\u{202e}z"#)
    }
}

@Suite("Pending file actions")
struct PendingFileActionTests {
    @Test func owedByTheFinalStatesOnly() {
        let move = FileAction.move(to: "failed")
        #expect(PendingFileAction.owed(by: .succeeded, onSuccess: .delete, onFailure: move) == .delete)
        #expect(PendingFileAction.owed(by: .quarantined, onSuccess: .delete, onFailure: move) == move)
        #expect(PendingFileAction.owed(by: .succeeded, onSuccess: .keep, onFailure: move) == nil)
        for state in [LedgerState.pending, .running, .failed] {
            #expect(PendingFileAction.owed(by: state, onSuccess: .delete, onFailure: move) == nil)
        }
    }

    @Test func failuresBackOffFromTenSecondsToAnHourAndNeverGiveUp() {
        let start = Date(timeIntervalSince1970: 0)
        var action = PendingFileAction(pipeline: "p", path: "a.csv", sha256: "abc", action: .delete, createdAt: start)
        var delays: [TimeInterval] = []
        for _ in 0..<12 {
            action = action.failed("full", at: start)
            delays.append(action.nextAttemptAt.timeIntervalSince(start))
        }
        #expect(delays == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600])
        #expect(action.attempts == 12 && action.lastError == "full" && action.createdAt == start)
        #expect(!action.isDue(at: start) && action.isDue(at: start.addingTimeInterval(3600)))
    }
}

/// Found by `scripts/fuzz.sh manifest`: glibc's regcomp took over 2 GiB for `.c+++…+sv`.
@Suite("Regex bounds")
struct RegexBoundsTests {
    @Test(arguments: [
        (
            ".c" + String(repeating: "+", count: 88) + "sv",
            "\"+\" repeats a repetition, which POSIX leaves undefined; write one repetition"
        ),
        ("a*?", "\"?\" repeats a repetition, which POSIX leaves undefined; write one repetition"),
        ("((a{100}){100})", "its repetitions expand to more than 10000 atoms"),
        ("x{99999999999999999999}", "its repetitions expand to more than 10000 atoms"),
        (String(repeating: "a", count: 1025), "longer than 1024 characters"),
    ])
    func blowUpsAreRefusedBeforeCompiling(_ pattern: String, _ reason: String) {
        do {
            _ = try ExtendedRegex(pattern)
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test(arguments: [
        #"^[0-9]{4}-[0-9]{2}\.csv$"#, "(a|b)+c", "x{2,3}y?", "[[:alpha:]]+_[]a-z]*", #"^data_.*\.(csv|xlsx)$"#,
        "(ab){50}",
    ])
    func ordinaryPatternsPass(_ pattern: String) throws {
        _ = try ExtendedRegex(pattern)
    }
}
