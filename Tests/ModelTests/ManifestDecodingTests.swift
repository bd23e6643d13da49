import Model
import Testing

@Suite("Manifest decoding")
struct ManifestDecodingTests {
    @Test func fullExampleDecodesEveryField() throws {
        let decoded = try #require(
            pipeline(
                """
                apiVersion: orchestrator/v1
                kind: Pipeline
                metadata: {name: default, labels: {team: data}}
                spec:
                  suspend: false
                  watch:
                    path: ../data/default
                    include: ["*.csv", "*.xlsx"]
                    exclude: ["archive/**"]
                    regex: '\\.csv$'
                    recursive: true
                    settle: 2s
                    poll: 0s
                  run:
                    command: ["default-etl", "-p", "default", "${file}"]
                    workingDir: ..
                    env:
                      elasticsearch_host: localhost
                      elasticsearch_port: 9200
                      elasticsearch_password: {fromEnv: ES_PASSWORD}
                      index: "${pipeline.name}-${elasticsearch_host}"
                    timeout: 15m
                    concurrency: 2
                    retries: 3
                    backoff: 30s
                  onSuccess: {action: keep}
                  onFailure: {action: move, to: ../data/failed/default}
                """
            )
        )
        #expect(decoded.name == "default")
        #expect(decoded.metadata.labels == ["team": "data"])
        let watch = decoded.spec.watch
        #expect(watch.path == "../data/default")
        #expect(watch.include.map(\.pattern) == ["*.csv", "*.xlsx"])
        #expect(watch.regex?.pattern == "\\.csv$")
        #expect(watch.settle == .seconds(2))
        let run = decoded.spec.run
        #expect(run.target == .command(["default-etl", "-p", "default", "${file}"].map { try! Template($0) }))
        #expect(run.env.names == ["elasticsearch_host", "elasticsearch_port", "elasticsearch_password", "index"])
        #expect(run.env["elasticsearch_port"] == .value(try Template("9200")))
        #expect(run.env["elasticsearch_password"] == .fromEnv("ES_PASSWORD"))
        #expect(run.timeout == .minutes(15))
        #expect(run.concurrency == 2)
        #expect(decoded.spec.onFailure == .move(to: "../data/failed/default"))
    }

    @Test func defaultsApplyWhenFieldsAreOmitted() throws {
        let decoded = try #require(pipeline(manifest("  watch: {path: in}\n  run: {container: {image: etl:1}}\n")))
        #expect(decoded.spec.suspend == false)
        #expect(decoded.spec.watch.recursive)
        #expect(decoded.spec.watch.settle == .seconds(2))
        #expect(decoded.spec.watch.poll == .zero)
        #expect(decoded.spec.run.timeout == .hours(1))
        #expect(decoded.spec.run.retries == 3)
        #expect(decoded.spec.run.backoff == .seconds(30))
        #expect(decoded.spec.onSuccess == .keep)
        #expect(decoded.spec.run.target == .container(ContainerSpec(image: "etl:1")))
    }

    @Test func shorthandFileActions() throws {
        let decoded = try #require(
            pipeline(manifest("  watch: {path: in}\n  run: {command: [x]}\n  onSuccess: delete\n  onFailure: keep\n"))
        )
        #expect(decoded.spec.onSuccess == .delete)
        #expect(decoded.spec.onFailure == .keep)
    }

    /// Each case: a spec body, and the exact diagnostics (line:column: message) it must give.
    @Test(arguments: [
        (
            "  watch: {path: in, incude: [a]}\n  run: {command: [x]}\n",
            ["6:21: spec.watch: unknown field \"incude\"; did you mean \"include\"?"]
        ),
        (
            "  watch: {path: in}\n  run: {command: [x], container: {image: y}}\n",
            ["7:34: spec.run.container: set either command or container, not both"]
        ),
        (
            "  watch: {path: in}\n  run: {workingDir: x}\n",
            ["7:8: spec.run: missing command or container: set exactly one"]
        ),
        (
            "  watch: {include: [\"*.csv\"]}\n  run: {command: [x]}\n",
            ["6:10: spec.watch: missing required field \"path\""]
        ),
        (
            "  watch: {path: in, settle: 2x}\n  run: {command: [x]}\n",
            ["6:29: spec.watch.settle: bad duration \"2x\": unknown unit \"x\" (use ms, s, m, h or d)"]
        ),
        (
            "  watch: {path: in, poll: 5}\n  run: {command: [x]}\n",
            ["6:27: spec.watch.poll: bad duration 5: missing unit; write 5s, 5m…"]
        ),
        (
            "  watch: {path: in, recursive: \"true\"}\n  run: {command: [x]}\n",
            ["6:32: spec.watch.recursive: expected true or false, found the string \"true\""]
        ),
        (
            "  watch: {path: in, include: [\"[a-\"]}\n  run: {command: [x]}\n",
            ["6:31: spec.watch.include[0]: bad glob \"[a-\": \"[\" is not closed"]
        ),
        (
            "  watch: {path: in, regex: \"\\\\d+\"}\n  run: {command: [x]}\n",
            [
                "6:28: spec.watch.regex: bad regex \"\\d+\": \\d is not POSIX ERE (it would match a literal \"d\"); write [0-9]"
            ]
        ),
        (
            "  watch: {path: in}\n  run: {command: [x, \"${file.nme}\"]}\n",
            [
                "7:22: spec.run.command[1]: unknown template reference ${file.nme}; use one of ${file}, ${file.name}, ${file.dir}, ${file.relpath}, ${file.sha256}, ${pipeline.name}, ${run.id}, ${run.envFile}, or ${NAME} for a key of run.env"
            ]
        ),
        (
            "  watch: {path: in}\n  run: {command: [x, \"${TOKEN}\"]}\n",
            ["7:22: spec.run.command[1]: unknown template reference ${TOKEN}: run.env has no key TOKEN"]
        ),
        (
            "  watch: {path: in}\n  run: {command: [x], concurrency: 0, retries: -1}\n",
            [
                "7:36: spec.run.concurrency: 0 is out of range: expected 1…256",
                "7:48: spec.run.retries: -1 is out of range: expected 0…100",
            ]
        ),
        (
            "  watch: {path: in}\n  run: {command: [x]}\n  onSuccess: {action: move}\n",
            ["8:14: spec.onSuccess: action move needs a destination folder: add to: FOLDER"]
        ),
        (
            "  watch: {path: in}\n  run: {container: {image: y, options: [--name=x]}}\n",
            [
                "7:41: spec.run.container.options[0]: option --name is not allowed: the orchestrator names each container, to kill it on timeout"
            ]
        ),
    ])
    func errorsAreLocated(_ spec: String, _ expected: [String]) {
        #expect(problems(manifest(spec)) == expected)
    }

    @Test func everyErrorIsReportedAtOnce() {
        let found = problems(
            """
            apiVersion: orchestrator/v2
            kind: Pipeline
            metadata: {name: Bad_Name}
            spec:
              suspend: maybe
              watch: {path: in, settle: soon}
              run: {command: [x], retries: many}
              onFailure: explode
            """
        )
        #expect(
            found == [
                "1:13: apiVersion: unsupported apiVersion \"orchestrator/v2\"; expected orchestrator/v1",
                "3:18: metadata.name: invalid name \"Bad_Name\": use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
                "5:12: spec.suspend: expected true or false, found the string \"maybe\"",
                "6:29: spec.watch.settle: bad duration \"soon\": expected a number at \"soon\"",
                "7:32: spec.run.retries: expected an integer, found the string \"many\"",
                "8:14: spec.onFailure: expected keep, delete or {action: move, to: FOLDER}, found \"explode\"",
            ]
        )
    }

    @Test func syntaxErrorIsLocated() {
        #expect(
            problems("apiVersion: orchestrator/v1\nkind: [Pipeline\n") == [
                "3:1: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 7)"
            ]
        )
    }

    @Test func aNULCharacterIsRejectedWhereverItWouldReachACommand() {
        let found = problems(manifest("  watch: {path: in}\n  run: {command: [x, \"a\\0b\"], env: {A: \"x\\0y\"}}\n"))
        #expect(found.count == 2, "\(found)")
        #expect(found.allSatisfy { $0.contains("a NUL character cannot be passed to a command") }, "\(found)")
    }

    @Test func envReferencesAreCheckedForCycles() {
        let found = problems(
            manifest("  watch: {path: in}\n  run: {command: [x], env: {A: \"${B}\", B: \"x${A}\", C: \"${A}\"}}\n")
        )
        #expect(
            found == [
                "7:32: spec.run.env.A: run.env key A refers to itself through ${…} references",
                "7:43: spec.run.env.B: run.env key B refers to itself through ${…} references",
            ]
        )
    }

    @Test func reservedAndInvalidEnvNames() {
        let found = problems(
            manifest("  watch: {path: in}\n  run: {command: [x], env: {ORCHESTRATOR_FILE: x, 2x: y}}\n")
        )
        #expect(
            found == [
                "7:29: spec.run.env.ORCHESTRATOR_FILE: names starting with ORCHESTRATOR_ are set by the orchestrator for each run",
                "7:51: spec.run.env.2x: \"2x\" is not a valid environment variable name (letters, digits and _, not starting with a digit)",
            ]
        )
    }

    @Test func duplicateNamesAcrossFiles() {
        let first = ManifestDocument.parse(
            manifest("  watch: {path: a}\n  run: {command: [x]}\n", name: "same"),
            file: "a.yaml"
        )
        let second = ManifestDocument.parse(
            manifest("  watch: {path: b}\n  run: {command: [x]}\n", name: "same"),
            file: "b.yaml"
        )
        let set = ManifestSet(documents: first + second)
        #expect(set.pipelines.map(\.file) == ["a.yaml"])
        #expect(
            set.diagnostics.map(\.description) == [
                "b.yaml:4:9: error: metadata.name: duplicate pipeline name \"same\" (first defined at a.yaml:4:9)"
            ]
        )
    }

    @Test func invalidDocumentKeepsTheNameItClaims() {
        let documents = ManifestDocument.parse(
            manifest("  watch: {path: a}\n  run: {}\n", name: "broken"),
            file: "a.yaml"
        )
        #expect(documents.count == 1)
        #expect(documents[0].name == "broken")
        #expect(!documents[0].isValid)
    }

    @Test func multiDocumentFile() {
        let one = manifest("  watch: {path: a}\n  run: {command: [x]}\n", name: "one")
        let two = manifest("  watch: {path: b}\n  run: {command: [x]}\n", name: "two")
        let documents = ManifestDocument.parse(one + "---\n" + two, file: "a.yaml")
        #expect(documents.map(\.name) == ["one", "two"])
        #expect(documents.allSatisfy { $0.isValid })
    }

    @Test func encodingRoundTripsThroughTheEmitter() throws {
        let original = try #require(
            pipeline(
                manifest(
                    """
                      watch: {path: in, include: ["*.csv"], settle: 90s}
                      run:
                        command: [etl, "${file}", "yes", "0777", "a: b"]
                        env: {port: 9200, secret: {fromEnv: S}, empty: ""}
                      onFailure: {action: move, to: failed}
                    """
                )
            )
        )
        let text = try ManifestText.write(original)
        #expect(text.contains("settle: 1m30s"))
        #expect(pipeline(text) == original)
        #expect(try ManifestText.write(original) == text)
    }
}
