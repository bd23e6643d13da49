import Foundation
import Testing

/// A scratch project: `pipelines/`, `data/`, and the state beside them, removed at the end.
struct Workspace {
    let root: URL

    init() throws {
        root = try CLI.temporaryDirectory()
        for folder in ["pipelines", "data/in", "out"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(folder),
                withIntermediateDirectories: true
            )
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Writes a pipeline manifest named `name` whose spec is `spec` (indented two spaces).
    func manifest(_ name: String, _ spec: String) throws {
        let text = "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: \(name)}\nspec:\n" + spec
        try write("pipelines/\(name).yaml", text)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    func read(_ relative: String) -> String { (try? String(contentsOfFile: path(relative), encoding: .utf8)) ?? "" }

    /// Lines of a file, empty when absent.
    func lines(_ relative: String) -> [String] {
        read(relative).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        input: String? = nil
    ) async throws -> CLI.Result {
        try await CLI.run(arguments, in: root, environment: environment, input: input)
    }

    /// Starts `orchestrator ARGUMENTS` here without waiting for it, its output discarded: for a
    /// test that signals it mid-run.
    func launch(_ arguments: [String]) throws -> Process {
        let orchestrator = Process()
        orchestrator.executableURL = CLI.productsDirectory.appendingPathComponent("orchestrator")
        orchestrator.arguments = arguments
        orchestrator.currentDirectoryURL = root
        orchestrator.standardOutput = FileHandle.nullDevice
        orchestrator.standardError = FileHandle.nullDevice
        try orchestrator.run()
        return orchestrator
    }
}

/// A script that records each file it is given, one per line, in `out/seen.log`.
let recorder = "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$RECORD\"\n"

/// Waits until `condition` holds, polling, or fails the test after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
