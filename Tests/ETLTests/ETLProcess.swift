import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the built `default-etl` in a scratch folder with its own config and index.
struct ETLWorkspace {
    let root: URL
    let index: String

    init(types: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("default-etl-\(UUID().uuidString)")
        index = "test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("config"),
            withIntermediateDirectories: true
        )
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("data/default"),
            withIntermediateDirectories: true
        )
        try write(
            "config/parameters.json",
            "{\"process\": {\"default\": {\"class\": \"pypel.Process\", \"path\": \"default\", \"index_pattern\": \"\(index)\"\(types.map { ", \"types\": \"\($0)\"" } ?? "")}}}"
        )
        try write(
            "config/config.json",
            "{\"path_to_data\": \"\(root.path)/data/\", \"kibana_info\": \"\", \"host\": \"\", \"port\": \"\", \"user\": \"\", \"pwd\": \"\", \"scheme\": \"http\"}"
        )
        try write(
            "config/index_mappings.json",
            "{\"mappings\": {\"properties\": {\"AMOUNT\": {\"type\": \"double\"}, \"_source_file\": {\"type\": \"keyword\"}}}}"
        )
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func write(_ relative: String, _ text: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(relative))
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("default-etl")
        process.arguments = ["--config-dir", path("config")] + arguments
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes at once: a child that fills one while we wait on the other would hang.
        let errors = PipeReader(err)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self)
        )
    }
}

/// Reads a pipe to its end on another thread.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let group = DispatchGroup()

    init(_ pipe: Pipe) {
        DispatchQueue.global().async(group: group) { self.data = pipe.fileHandleForReading.readDataToEndOfFile() }
    }

    func wait() -> Data {
        group.wait()
        return data
    }
}

/// The test servers started by scripts/services.sh, when they run.
enum TestServers {
    static let elasticsearch = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_ES_URL"]
    static let authenticated = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_ES_AUTH_URL"]
    static let python = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_PYTHON"]
    static let tls = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_ES_TLS_URL"]
    static let cafile = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_ES_CAFILE"]

    /// A JSON request to the test server.
    static func json(_ method: String, _ url: String, body: String? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Runs a Python `script` (with openpyxl) with `arguments`; fails the test when it fails.
    static func runPython(_ script: String, _ arguments: String...) throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: try #require(TestServers.python))
        python.arguments = ["-c", script] + arguments
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "the Python script failed")
    }

    static func count(_ index: String) async throws -> Int {
        guard let base = elasticsearch else { return -1 }
        _ = try await json("POST", "\(base)/\(index)/_refresh")
        return try await json("GET", "\(base)/\(index)/_count")["count"] as? Int ?? -1
    }
}
