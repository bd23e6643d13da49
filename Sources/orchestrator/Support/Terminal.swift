import ArgumentParser
import Foundation
import Model

/// Writing to the standard streams, kept in one place so commands stay declarative.
enum Terminal {
    static func out(_ text: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((text + terminator).utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Prints `value` as the JSON the commands share: pretty, sorted keys, snake_case, ISO 8601 dates.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        out(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints diagnostics, one per line, in compiler order.
    static func report(_ diagnostics: [Diagnostic], to stream: (String) -> Void = err) {
        for diagnostic in diagnostics.sortedForDisplay() { stream(diagnostic.description.terminalSafe) }
    }
}

/// How a command's result is printed.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}
