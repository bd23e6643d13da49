import YAML

/// A legacy watcher config (`KEY=value` lines, read by bash `source` and by `grep | cut`), parsed.
public struct LegacyConfig: Sendable {
    /// How a key's value was read by the legacy system, and so how it is read here.
    public enum Value: Sendable, Hashable {
        /// A bash assignment: one word, quotes removed, `$VAR` of earlier keys expanded.
        case word(ShellValue)
        /// The literal text after the first `=`, one pair of surrounding quotes removed, as
        /// `grep KEY | cut -d= -f2-` read it.
        case raw(String)
        /// An argument list, split into words as bash would split a command line.
        case arguments([ShellValue])
    }

    public struct Assignment: Sendable, Hashable {
        public var name: String
        public var value: Value
        /// Where the key is written.
        public var mark: Mark
    }

    /// Every assignment in file order, duplicates included.
    public let assignments: [Assignment]
    /// Warnings found while reading (errors make `parse` fail instead).
    public var warnings: [Diagnostic]
    /// The index in `assignments` of each name's last assignment.
    private let lastIndex: [String: Int]

    init(assignments: [Assignment], warnings: [Diagnostic]) {
        self.assignments = assignments
        self.warnings = warnings
        lastIndex = Dictionary(
            assignments.enumerated().map { ($0.element.name, $0.offset) },
            uniquingKeysWith: { max($0, $1) }
        )
    }

    /// The keys the legacy loop read with grep and cut rather than bash.
    public static let rawKeys: Set<String> = ["WATCH_DIR", "WATCH_REGEX", "COMMAND"]
    /// The keys the legacy runners used as argument lists.
    public static let argumentKeys: Set<String> = ["PARAMETERS", "DOCKER_OPTIONS"]

    /// The last assignment of `name`: a later duplicate wins, as in bash.
    public func last(_ name: String) -> Assignment? { lastIndex[name].map { assignments[$0] } }

    /// Parses `text`, reporting every error (each located) when there is any.
    public static func parse(_ text: String, file: String) -> Result<LegacyConfig, LegacyConfigErrors> {
        var parser = LegacyConfigParser(text: text, file: file)
        parser.run()
        if parser.errors.isEmpty {
            return .success(LegacyConfig(assignments: parser.assignments, warnings: parser.warnings))
        }
        return .failure(LegacyConfigErrors(diagnostics: parser.errors + parser.warnings))
    }
}

/// The errors (and warnings) of a legacy config that cannot be converted.
public struct LegacyConfigErrors: Error, Sendable {
    public var diagnostics: [Diagnostic]
}
