import Foundation
import Model
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/legacy")
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

private func convert(_ text: String, file: String = "in.conf") -> LegacyConverter.Conversion {
    LegacyConverter().convert(text, file: file)
}

private let runner = "WATCH_DIR=/data/in\nCOMMAND=/scripts/runner-file.sh\nDOCKER_IMAGE=etl:1\n"

@Suite("Legacy conversion")
struct LegacyConversionTests {
    @Test func dockerRunnerBecomesAContainer() throws {
        let result = convert(
            runner
                + "PARAMETERS=-p default -f \"$file\" -n $(basename \"$file\")\nDOCKER_OPTIONS=--memory 1g --rm\nKEY_A=a\n"
        )
        let spec = try #require(result.pipeline?.spec)
        guard case .container(let container) = spec.run.target else {
            Issue.record("not a container")
            return
        }
        #expect(container.image == "etl:1")
        #expect(container.args.map(\.source) == ["-p", "default", "-f", "${file}", "-n", "${file.name}"])
        #expect(container.options.map(\.source) == ["--network=host", "--memory", "1g"])
        #expect(container.volumes.map(\.source) == ["data_upload_data:/data"])
        #expect(spec.run.env.names == ["KEY_A"])
        #expect(spec.watch.path == "/data/in")
        #expect(spec.watch.recursive)
    }

    @Test func otherCommandKeepsTheLegacyCallingConvention() throws {
        let result = convert("WATCH_DIR=/data/in\nCOMMAND=/scripts/load.sh\nDOCKER_IMAGE=kept\n")
        let run = try #require(result.pipeline?.spec.run)
        #expect(
            run.target
                == .command(
                    ["bash", "/scripts/load.sh", "${file.dir}/", "CLOSE_WRITE,CLOSE", "${file.name}", "${run.envFile}"]
                        .map { try! Template($0) }
                )
        )
        #expect(run.env.names == ["DOCKER_IMAGE"])
    }

    @Test(arguments: [
        ("TO_REMOVE=true\n", FileAction.delete),
        ("BACKUP=true\n", FileAction.move(to: "/data/backup/in")),
        ("BACKUP=true\nBACKUP_DIR=/archive\n", FileAction.move(to: "/archive")),
        ("TO_REMOVE=true\nBACKUP=true\n", FileAction.move(to: "/data/backup/in")),
        ("TO_REMOVE=false\nBACKUP=no\n", FileAction.keep),
    ])
    func fileActions(_ flags: String, _ expected: FileAction) {
        #expect(convert(runner + flags).pipeline?.spec.onSuccess == expected)
    }

    @Test func secretsKeepTheirValueWithAWarning() throws {
        let result = convert(runner + "elasticsearch_password=elastic\nAPI_TOKEN=t\n")
        #expect(result.pipeline?.spec.run.env["elasticsearch_password"] == .value(try Template("elastic")))
        #expect(result.diagnostics.filter { $0.severity == .warning }.map(\.line) == [4, 5])
        #expect(result.diagnostics.allSatisfy { $0.message.contains("fromEnv") })
    }

    @Test(arguments: [
        (
            "COMMAND=/scripts/runner-file.sh\nDOCKER_IMAGE=x\n",
            "1:1: WATCH_DIR is missing or empty: a pipeline needs a folder to watch"
        ),
        ("WATCH_DIR=/in\nDOCKER_IMAGE=x\n", "1:1: COMMAND is missing: the legacy loop had nothing to run"),
        (
            "WATCH_DIR=/in\nCOMMAND=/scripts/runner-file.sh\n",
            "2:1: DOCKER_IMAGE is missing or not a plain value: /scripts/runner-file.sh needs an image"
        ),
        (
            "WATCH_DIR=/in\nWATCH_REGEX=(csv\nCOMMAND=/x.sh\n",
            "2:13: WATCH_REGEX: bad regex \"(csv\": Unmatched ( or \\("
        ),
        (
            runner + "PARAMETERS=-n \"$(date)\"\n",
            "4:16: command substitution $(…) has no safe equivalent (only $(basename …) and $(dirname …) of $file or of a known value are converted)"
        ),
        (runner + "X='unterminated\n", "4:3: unterminated single quote"),
    ])
    func brokenFilesFailWithALineAndWriteNothing(_ text: String, _ expected: String) {
        let result = convert(text)
        #expect(result.yaml == nil)
        #expect(
            result.diagnostics.filter { $0.severity == .error }.map { "\($0.line):\($0.column): \($0.message)" } == [
                expected
            ]
        )
    }

    @Test func outputIsDeterministicAndValid() throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("tricky.conf"), encoding: .utf8)
        let first = try #require(convert(text, file: "tricky.conf").yaml)
        let second = try #require(convert(text, file: "tricky.conf").yaml)
        #expect(first == second)
        let documents = ManifestDocument.parse(first, file: "tricky.yaml")
        #expect(documents.count == 1 && documents[0].isValid)
        #expect(documents[0].pipeline == convert(text, file: "tricky.conf").pipeline)
    }

    @Test(arguments: ["sample", "sample-curl"])
    func committedExamplesMatchTheConverter(_ name: String) throws {
        let folder = repository.appendingPathComponent("pipelines/legacy")
        let text = try String(contentsOf: folder.appendingPathComponent("\(name).conf"), encoding: .utf8)
        let expected = try String(contentsOf: folder.appendingPathComponent("\(name).yaml"), encoding: .utf8)
        #expect(convert(text, file: "pipelines/legacy/\(name).conf").yaml == expected)
    }

    @Test func aRelativeWatchDirIsFlagged() {
        let result = convert("WATCH_DIR=data/in\nCOMMAND=/x.sh\n")
        #expect(result.pipeline?.spec.watch.path == "data/in")
        #expect(result.diagnostics.map { "\($0.severity) \($0.line)" } == ["warning 1"])
    }

    @Test func pipelineNamesAreDNSLabels() {
        #expect(LegacyConverter.pipelineName(forFile: "/etc/watch/My_Config.v2.conf") == "my-config-v2")
        #expect(LegacyConverter.pipelineName(forFile: "___.conf") == "pipeline")
        #expect(LegacyConverter.pipelineName(forFile: ".hidden") == "hidden")
    }
}

private enum OracleError: Error {
    case bashFailed(Int32)
}

/// The oracle: for legacy files without per-file references, every `run.env` value must be what
/// bash itself assigns when it sources the file.
@Suite("Legacy conversion against bash")
struct BashOracleTests {
    @Test(arguments: ["tricky.conf", "crlf.conf"])
    func envValuesEqualWhatBashAssigns(_ name: String) throws {
        let file = fixtures.appendingPathComponent(name)
        var text = try String(contentsOf: file, encoding: .utf8)
        let run = try #require(convert(text, file: name).pipeline?.spec.run)
        // bash keeps the \r of CRLF files, which the converter deliberately drops: compare on LF.
        // The keys the legacy loop read with grep (WATCH_REGEX=\.(csv|xlsx)$ is not bash) are not
        // in run.env: leave them out of what bash sources.
        text = text.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !["WATCH_DIR=", "WATCH_REGEX=", "COMMAND="].contains { line.hasPrefix($0) } }
            .joined(separator: "\n")
        let lf = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-\(UUID()).conf")
        try Data(text.utf8).write(to: lf)
        defer { try? FileManager.default.removeItem(at: lf) }
        let bash = try bashEnvironment(sourcing: lf.path)
        #expect(!run.env.entries.isEmpty)
        for entry in run.env.entries {
            guard case .value(let template) = entry.value else { continue }
            #expect(template.references.isEmpty)
            #expect(template.render { _ in "" } == bash[entry.name], "\(entry.name)")
        }
    }

    private func bashEnvironment(sourcing path: String) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "-i", "PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "bash", "-c", "set -a; . \"$1\" || exit 3; env -0", "oracle",
            path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OracleError.bashFailed(process.terminationStatus) }
        var result: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }
}
