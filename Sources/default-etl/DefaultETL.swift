import ArgumentParser
import ETL
import Foundation
import ProgressDisplay

/// `default-etl`: the minimal pypel process (headers trimmed, empty cells to null, one type per
/// column), from CSV or Excel files into Elasticsearch, idempotently.
@main
struct DefaultETL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default-etl",
        abstract: "Load CSV and Excel files into Elasticsearch (or an NDJSON file), one document per row.",
        discussion: """
            Reads parameters.json, config.json and index_mappings.json from --config-dir, in the \
            legacy shapes; the environment variables path_to_data, elasticsearch_host, \
            elasticsearch_port, elasticsearch_user, elasticsearch_password, elasticsearch_scheme \
            (and elasticsearch_cafile) override config.json. With FILEs, loads exactly those; \
            without, every file of path_to_data/<process path>. Document ids are derived from the \
            file's content and the row number, so loading a file again never duplicates a row. \
            Without --sink and with no Elasticsearch host configured, the bulk bodies go to \
            <path_to_data>/output/default-etl.ndjson. \
            Exit codes: 0 every row of every file loaded; 1 a row or a file failed, or a bad \
            configuration; 64 bad usage. On a terminal, a progress line on standard error shows \
            rows, the file's size, rows per second and the time left.
            """,
        version: ETLVersion.current
    )

    @Option(name: .short, help: "The process of parameters.json to run, or all.")
    var process = "default"

    @Flag(name: .short, help: "Delete and recreate each index, with index_mappings.json, before loading.")
    var create = false

    @Option(help: "The folder of parameters.json, config.json and index_mappings.json.")
    var configDir = "default-ETL"

    @Option(help: "Where documents go: http(s)://HOST:PORT for Elasticsearch, or ndjson:PATH.")
    var sink: String?

    @Argument(help: "Files to load; by default every file of the process's folder.")
    var files: [String] = []

    func validate() throws {
        if process == "all" && !files.isEmpty {
            throw ValidationError("Name one process with -p when files are given.")
        }
        if let sink, !sink.hasPrefix("ndjson:"), !sink.hasPrefix("http://"), !sink.hasPrefix("https://") {
            throw ValidationError("--sink takes http://…, https://… or ndjson:PATH, not \(sink).")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: ETLConfiguration
        do {
            configuration = try ETLConfiguration.load(from: configDir, environment: environment)
        } catch {
            DefaultETL.err("error: \(error)")
            throw ExitCode.failure
        }
        let selected: [(String, ETLConfiguration.Process)]
        if process == "all" {
            selected = configuration.processes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } else if let one = configuration.processes[process] {
            selected = [(process, one)]
        } else {
            DefaultETL.err(
                "error: no process \(process) in \(configDir)/parameters.json (known: \(configuration.processes.keys.sorted().joined(separator: ", ")))"
            )
            throw ExitCode.failure
        }
        let target: any BulkSink
        do {
            target = try makeSink(configuration.connection)
        } catch {
            DefaultETL.err("error: \(error)")
            throw ExitCode.failure
        }
        var allLoaded = true
        do {
            for (_, process) in selected {
                if create { try await target.recreate(index: process.indexPattern, body: configuration.indexBody) }
                let paths =
                    files.isEmpty ? DefaultETL.folderFiles(configuration.connection.pathToData, process.path) : files
                let meter = LoadMeter()
                var loader = Loader(sink: target)
                if let meter { loader.progress = { meter.report($0) } }
                for path in paths {
                    do {
                        let table = try Tables.open(path)
                        let summary = try await loader.load(
                            table,
                            index: process.indexPattern,
                            sha256: DefaultETL.knownSHA(for: path, environment),
                            values: process.types
                        )
                        meter?.clear()
                        print(summary.line)
                        summary.problems.forEach { DefaultETL.err("  \($0)") }
                        if !summary.succeeded { allLoaded = false }
                    } catch let error as ETLError {
                        meter?.clear()
                        // The sink is shared: when it fails, the other files would fail the same way.
                        if case .sink = error { throw error }
                        DefaultETL.err("error: \(error)")
                        allLoaded = false
                    }
                }
            }
        } catch {
            DefaultETL.err("error: \(error)")
            allLoaded = false
        }
        try? await target.close()
        if !allLoaded { throw ExitCode.failure }
    }

    private func makeSink(_ connection: ETLConfiguration.Connection) throws -> any BulkSink {
        let url =
            sink
            ?? (connection.hasServer
                ? connection.url
                : "ndjson:" + (connection.pathToData as NSString).appendingPathComponent("output/default-etl.ndjson"))
        if url.hasPrefix("ndjson:") { return try NDJSONSink(path: String(url.dropFirst("ndjson:".count))) }
        return try ElasticsearchSink(
            url: url,
            user: connection.user,
            password: connection.password,
            cafile: connection.cafile
        )
    }

    /// The files of a process's folder, sorted; hidden and temporary files skipped.
    static func folderFiles(_ root: String, _ folder: String) -> [String] {
        let path = (root as NSString).appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter {
            !$0.hasPrefix(".") && !$0.hasPrefix("~$") && !$0.hasSuffix(".tmp") && !$0.hasSuffix(".part")
        }
        .sorted().map { (path as NSString).appendingPathComponent($0) }
        .filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// The content hash the orchestrator computed for this file, when it is the one it runs us for.
    static func knownSHA(for path: String, _ environment: [String: String]) -> String? {
        guard let file = environment["ORCHESTRATOR_FILE"], let sha = environment["ORCHESTRATOR_FILE_SHA256"],
            sha.count == 64
        else { return nil }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return absolute == URL(fileURLWithPath: file).standardizedFileURL.path ? sha : nil
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
