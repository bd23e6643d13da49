import YAML

/// A string with `${…}` references, used in `run.command`, container `args`/`options`/`volumes`
/// and `run.env`. Rendering substitutes values into one argv element: there is no shell, so a
/// file name with spaces, quotes or `$(…)` stays one argument, byte for byte.
///
/// `$$` is a literal `$`; a `$` not followed by `{` is literal too.
public struct Template: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What a reference names.
    public enum Variable: Sendable, Hashable, CustomStringConvertible {
        case file, fileName, fileDir, fileRelativePath, fileSHA256
        case pipelineName, runID, runEnvFile
        /// Another key of `run.env`.
        case env(String)

        /// The built-in names, as written between `${` and `}`.
        public static let builtIn: [(name: String, variable: Variable)] = [
            ("file", .file), ("file.name", .fileName), ("file.dir", .fileDir), ("file.relpath", .fileRelativePath),
            ("file.sha256", .fileSHA256), ("pipeline.name", .pipelineName), ("run.id", .runID),
            ("run.envFile", .runEnvFile),
        ]

        public var description: String {
            switch self {
            case .env(let name): return "${\(name)}"
            default: return "${\(Variable.builtIn.first { $0.variable == self }!.name)}"
            }
        }
    }

    public enum Segment: Sendable, Hashable {
        case literal(String)
        case variable(Variable)
    }

    /// The text as written.
    public let source: String
    public let segments: [Segment]
    /// Where the template was written, when it came from a manifest. Not part of its identity.
    public let location: NodeLocation?

    /// Parses `source`, or explains the first bad reference.
    public init(_ source: String, location: NodeLocation? = nil) throws(TemplateError) {
        self.source = source
        self.location = location
        segments = try Template.parse(source)
    }

    /// A template whose rendering is exactly `text`: `$` is escaped where it would start a reference.
    public static func literal(_ text: String) -> Template {
        var escaped = ""
        var characters = text[...]
        while let character = characters.popFirst() {
            escaped.append(character)
            if character == "$", let next = characters.first, next == "{" || next == "$" { escaped.append("$") }
        }
        return try! Template(escaped)
    }

    /// The variables the template references, in order.
    public var references: [Variable] {
        segments.compactMap { if case .variable(let variable) = $0 { return variable } else { return nil } }
    }

    /// The text with every reference replaced by `value(reference)`.
    public func render(_ value: (Variable) -> String) -> String {
        segments.map { segment in
            switch segment {
            case .literal(let text): return text
            case .variable(let variable): return value(variable)
            }
        }.joined()
    }

    public var description: String { source }

    public static func == (lhs: Template, rhs: Template) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    private static func parse(_ source: String) throws(TemplateError) -> [Segment] {
        // No argument or environment value can hold a NUL: the C strings of exec end there, and
        // every run would fail.
        if source.utf8.contains(0) {
            throw TemplateError(
                template: source.replacingOccurrences(of: "\0", with: "\\0"),
                reason: "a NUL character cannot be passed to a command (argv and environment values end at NUL)"
            )
        }
        var segments: [Segment] = []
        var literal = ""
        var rest = source[...]
        while let character = rest.popFirst() {
            guard character == "$", let next = rest.first, next == "$" || next == "{" else {
                literal.append(character)
                continue
            }
            rest = rest.dropFirst()
            if next == "$" {
                literal.append("$")
                continue
            }
            guard let close = rest.firstIndex(of: "}") else {
                throw TemplateError(template: source, reason: "\"${\" is not closed by \"}\"")
            }
            let name = String(rest[..<close])
            rest = rest[rest.index(after: close)...]
            if !literal.isEmpty { segments.append(.literal(literal)) }
            literal = ""
            segments.append(.variable(try variable(named: name, in: source)))
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        return segments
    }

    private static func variable(named name: String, in source: String) throws(TemplateError) -> Variable {
        if let builtIn = Variable.builtIn.first(where: { $0.name == name }) { return builtIn.variable }
        if Environment.isValidName(name) { return .env(name) }
        let known = Variable.builtIn.map { "${\($0.name)}" }.joined(separator: ", ")
        throw TemplateError(
            template: source,
            reason: "unknown template reference ${\(name)}; use one of \(known), or ${NAME} for a key of run.env"
        )
    }

    public init(from decoder: any Decoder) throws {
        self = try Template.decodeText(decoder.singleValueContainer().decode(String.self), decoder: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(source)
    }
}

/// Why a text is not a valid template.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var template: String
    public var reason: String
    public var description: String { reason }
}
