import Model
import Testing

/// The bash-assigned value of every key of a legacy text, rendered, or its diagnostics.
private func values(_ text: String) -> [String: String] {
    guard case .success(let config) = LegacyConfig.parse(text, file: "l.conf") else { return [:] }
    var result: [String: String] = [:]
    for assignment in config.assignments {
        switch assignment.value {
        case .word(let value): result[assignment.name] = value.template.source
        case .raw(let text): result[assignment.name] = "raw:" + text
        case .arguments(let words):
            result[assignment.name] = "args:" + words.map(\.template.source).joined(separator: "|")
        }
    }
    return result
}

private func errors(_ text: String) -> [String] {
    guard case .failure(let failure) = LegacyConfig.parse(text, file: "l.conf") else { return [] }
    return failure.diagnostics.filter { $0.severity == .error }.map { "\($0.line):\($0.column): \($0.message)" }
}

@Suite("Legacy config reading")
struct LegacyConfigTests {
    @Test(arguments: [
        ("A=plain", "A", "plain"),
        ("A='single $x'", "A", "single $x"),
        ("A=\"dq \\\"in\\\" \\$ \\\\ \\n\"", "A", "dq \"in\" $ \\ \\n"),
        ("B=b\nA=\"${B}x\"", "A", "bx"),
        ("B=b\nA=$B/$B", "A", "b/b"),
        ("A=${UNSET:-dflt}", "A", "dflt"),
        ("B=b\nA=${B:+alt}", "A", "alt"),
        ("A=$'t\\tn\\x41\\u00e9'", "A", "t\tnAé"),
        ("A=\"multi\nline\"", "A", "multi\nline"),
        ("A=con\\\ntinued", "A", "continued"),
        ("A=value # comment", "A", "value"),
        ("A=a#b", "A", "a#b"),
        ("A=", "A", ""),
        ("export A=exported", "A", "exported"),
        ("A=1 B=2", "B", "2"),
        ("A=1; B=2", "B", "2"),
        ("A=a\nA+=b", "A", "ab"),
        ("A=first\nA=second", "A", "second"),
        ("A=a\\ b", "A", "a b"),
        ("A=price$", "A", "price$"),
        ("A='${not}'", "A", "$${not}"),
        ("A=$file", "A", "${file}"),
        ("A=\"$(basename \"$file\")\"", "A", "${file.name}"),
        ("A=été ☃", "A", "<error>"),
        ("A=\"été ☃\"", "A", "été ☃"),
        ("WATCH_REGEX=\\.(csv|xlsx)$", "WATCH_REGEX", "raw:\\.(csv|xlsx)$"),
        ("WATCH_DIR=\"/data/in\"  ", "WATCH_DIR", "raw:/data/in"),
        ("COMMAND=/scripts/x.sh # not a comment for grep", "COMMAND", "raw:/scripts/x.sh # not a comment for grep"),
        ("PARAMETERS=-p default", "PARAMETERS", "args:-p|default"),
        ("PARAMETERS=-H 'a b' \"c $file\" x=$(basename $file)", "PARAMETERS", "args:-H|a b|c ${file}|x=${file.name}"),
        ("O='-a -b'\nPARAMETERS=$O \"$O\"", "PARAMETERS", "args:-a|-b|-a -b"),
        (
            "WATCH_DIR=/data/decp/\nDOCKER_OPTIONS=--name $(basename $WATCH_DIR)-x", "DOCKER_OPTIONS",
            "args:--name|decp-x"
        ),
    ])
    func readsAsBashWould(_ text: String, _ key: String, _ expected: String) {
        if expected == "<error>" {
            #expect(values(text)[key] == nil, "\(text) must not parse")
        } else {
            #expect(values(text)[key] == expected)
        }
    }

    @Test(arguments: [
        ("A='open\nB=2\n", ["1:3: unterminated single quote"]),
        ("A=\"open\n", ["1:3: unterminated double quote"]),
        (
            "A=$(date)\n",
            [
                "1:3: command substitution $(…) has no safe equivalent (only $(basename …) and $(dirname …) of $file or of a known value are converted)"
            ]
        ),
        ("A=`date`\n", ["1:3: backticks run a command; they have no safe equivalent"]),
        (
            "A=x\necho hi\nB=y | tee\n",
            [
                "2:1: \"echo\" is not an assignment: bash would run it as a command; only KEY=value lines are supported",
                "3:5: unquoted \"|\" has no safe equivalent (bash would treat it as an operator); quote the value",
            ]
        ),
        (
            "A=a b\n",
            [
                "1:5: unquoted space in the value of A: bash would run \"b\" as a command with A set for it alone; quote the value"
            ]
        ),
        ("A=$$\n", ["1:3: special parameter $$ depends on the running shell; it has no safe equivalent"]),
        ("A=~/x\n", ["1:3: \"~\" expands to the home folder of whoever runs the script; write the full path"]),
        ("A=${B#x}\n", ["1:3: this parameter expansion has no safe equivalent; use ${NAME} or ${NAME:-default}"]),
        ("A=(1 2)\n", ["1:3: bash arrays have no equivalent; write the value as a string"]),
        ("A=$((1+2))\n", ["1:3: arithmetic $((…)) has no safe equivalent; write the result"]),
    ])
    func refusesWhatHasNoSafeEquivalent(_ text: String, _ expected: [String]) {
        #expect(errors(text) == expected)
    }

    @Test func warnsAboutDuplicatesUnsetVariablesAndCRLF() throws {
        let config = try LegacyConfig.parse("A=1\r\nA=2\r\nB=$NOPE\r\n", file: "l.conf").get()
        #expect(
            config.warnings.map { "\($0.line):\($0.column): \($0.message)" } == [
                "1:1: CRLF line endings are read as LF (bash would keep a \\r at the end of each value)",
                "2:1: A is set again (first at line 1); the later value wins",
                "3:3: $NOPE is not set earlier in the file; bash would take it from the environment of the legacy loop, here it is empty",
            ]
        )
        #expect(config.last("A")?.value == .word(.literal("2")))
    }
}
