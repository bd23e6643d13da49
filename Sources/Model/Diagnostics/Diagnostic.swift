import YAML

/// A located message about a manifest or a legacy config, printed as
/// `file:line:column: severity: message` so that editors and CI annotate the right line.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Comparable {
        case error, warning, note

        private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(_ severity: Severity, file: String, at mark: Mark, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = mark.line
        self.column = mark.column
        self.message = message
    }

    /// The diagnostic of a YAML parse or decode error.
    public init(_ error: YAMLError, file: String) {
        self.init(.error, file: file, at: error.mark, error.description)
    }

    public var mark: Mark { Mark(line: line, column: column) }

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

extension [Diagnostic] {
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by file, then position, then severity: the order a compiler prints.
    public func sortedForDisplay() -> [Diagnostic] {
        sorted { ($0.file, $0.line, $0.column, $0.severity) < ($1.file, $1.line, $1.column, $1.severity) }
    }
}
