import Foundation

/// Runs the built `orchestrator` executable as a user would, and captures what it prints.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The folder `swift build` put the test bundle in, which holds the executable too.
    static let productsDirectory: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(
        _ arguments: [String],
        in directory: URL = repository,
        environment: [String: String] = [:],
        input: String? = nil
    ) async throws -> Result {
        try await runProgram(
            productsDirectory.appendingPathComponent("orchestrator").path,
            arguments,
            in: directory,
            environment: environment,
            input: input
        )
    }

    /// Runs any program, as `run` runs the orchestrator.
    static func runProgram(
        _ program: String,
        _ arguments: [String],
        in directory: URL = repository,
        environment: [String: String] = [:],
        input: String? = nil
    ) async throws -> Result {
        let process = Process()
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes at once: a child that fills one while we wait on the other would hang.
        let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let errors = await stderr.value
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: errors, as: UTF8.self)
        )
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "orchestrator-test-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
