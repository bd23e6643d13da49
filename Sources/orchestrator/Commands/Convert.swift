import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator convert FILE... [-o DIR]`: legacy `KEY=value` watcher configs to manifests.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert legacy KEY=value watcher configs into pipeline manifests.",
        discussion: """
            Each FILE becomes DIR/NAME.yaml, NAME being the file's name without extension. Values \
            are read as bash would assign them, except WATCH_DIR, WATCH_REGEX and COMMAND, which \
            the legacy loop read literally. A construct with no safe equivalent ($(…), backticks, \
            an unterminated quote…) is an error at its line and column, and nothing is written for \
            that file. Errors and warnings go to stderr. \
            Exit codes: 0 every file converted; 1 at least one did not; 64 bad usage.
            """
    )

    @Argument(help: "Legacy config files to convert.")
    var files: [String]

    @Option(
        name: .shortAndLong,
        help: "Folder to write the manifests into (created if missing); - for standard output."
    )
    var output = "pipelines"

    @Option(help: "The docker volume the legacy runners mounted on /data.")
    var dataVolume = "data_upload_data"

    @Flag(help: "Overwrite existing manifests whose content differs.")
    var force = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("Name at least one legacy config file.") }
    }

    func run() throws {
        let converter = LegacyConverter(dataVolume: dataVolume)
        var converted = 0
        var targets: [String: String] = [:]
        for file in files {
            if convertOne(file, converter, &targets) { converted += 1 }
        }
        Terminal.err("Converted \(converted) of \(files.count) file\(files.count == 1 ? "" : "s").")
        if converted < files.count { throw ExitCode.failure }
    }

    /// Converts and writes one file; prints its diagnostics and a one-line report.
    private func convertOne(_ file: String, _ converter: LegacyConverter, _ targets: inout [String: String]) -> Bool {
        let data: Data
        switch BoundedFile.read(file, limit: LegacyConverter.maxFileSize) {
        case .success(let bytes): data = bytes
        case .failure(let problem):
            Terminal.err("\(file): error: \(problem)")
            return false
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let mark = Convert.firstInvalidUTF8(in: data)
            Terminal.err(
                "\(file):\(mark.line):\(mark.column): error: the file is not valid UTF-8 (convert it, e.g. with iconv -f WINDOWS-1252 -t UTF-8)"
            )
            return false
        }
        let conversion = converter.convert(text, file: file)
        Terminal.report(conversion.diagnostics)
        guard let pipeline = conversion.pipeline, let yaml = conversion.yaml else {
            Terminal.err("\(file): not converted; nothing written")
            return false
        }
        if output == "-" {
            Terminal.out(targets.isEmpty ? yaml : "---\n" + yaml)
            targets[pipeline.name] = file
            return true
        }
        let target = output + "/" + pipeline.name + ".yaml"
        if let other = targets[target] {
            Terminal.err("\(file): error: \(other) converts to the same manifest \(target); rename one of them")
            return false
        }
        targets[target] = file
        do {
            try write(yaml, to: target)
        } catch {
            Terminal.err("\(target): error: \(error)")
            return false
        }
        let warnings = conversion.diagnostics.filter { $0.severity == .warning }.count
        Terminal.err(
            "\(file) -> \(target): pipeline \(pipeline.name), \(summary(of: pipeline.spec.run)), \(warnings) warning\(warnings == 1 ? "" : "s")"
        )
        return true
    }

    /// The line and column (in bytes) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(in data: Data) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0, offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let byte = bytes[offset]
            let length =
                byte < 0x80 ? 1 : byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
            let valid =
                length > 0 && offset + length <= bytes.count
                && String(validating: bytes[offset..<offset + length], as: UTF8.self) != nil
            if !valid { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = offset + 1
            }
            offset += length
        }
        return (line, offset - lineStart + 1)
    }

    private func summary(of run: RunSpec) -> String {
        let env = "\(run.env.entries.count) env key\(run.env.entries.count == 1 ? "" : "s")"
        switch run.target {
        case .container(let container): return "container \(container.image), \(env)"
        case .command(let argv): return "command \(argv.first?.source ?? ""), \(env)"
        }
    }

    /// Writes atomically, refusing to replace different content without `--force`.
    private func write(_ yaml: String, to target: String) throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        if !force, let existing = FileManager.default.contents(atPath: target), existing != Data(yaml.utf8) {
            throw ConvertError.exists(target)
        }
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
    }

    enum ConvertError: Error, CustomStringConvertible {
        case exists(String)
        var description: String {
            switch self {
            case .exists(let path): return "\(path) exists with other content; use --force to replace it"
            }
        }
    }
}
