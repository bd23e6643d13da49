/// A located problem found while parsing or decoding YAML.
///
/// Every error carries the mark of the node it is about and the field path that led there, so
/// that a tool can print `file:line:column: error: spec.watch.settle: …` and a user can jump to it.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a category a caller can test without parsing the message.
    public enum Kind: Sendable, Equatable {
        /// The text is not well-formed YAML.
        case syntax
        /// A mapping has the same key twice.
        case duplicateKey
        /// A node has the wrong type for its field.
        case typeMismatch
        /// A required field is absent.
        case missingField
        /// A mapping has a key the target type does not define.
        case unknownField
        /// A node has the right type but a value the target type rejects.
        case invalidValue
        /// The document is too large or too deep: aliases expand to too many nodes, collections
        /// nest too deep, or the text exceeds the size a caller allows.
        case tooLarge
    }

    public var kind: Kind
    public var mark: Mark
    /// The field path, such as `spec.watch.include[2]`; empty at the document root.
    public var path: String
    /// A sentence without the path, such as `unknown field "incude"; did you mean "include"?`.
    public var message: String

    public init(_ kind: Kind, at mark: Mark, path: String = "", _ message: String) {
        self.kind = kind
        self.mark = mark
        self.path = path
        self.message = message
    }

    /// The message prefixed with its field path, when it has one.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Several located errors, reported together and sorted by position.
public struct YAMLErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [YAMLError]

    public init(_ errors: [YAMLError]) {
        var seen = Set<String>()
        self.errors =
            errors
            .filter { seen.insert("\($0.mark) \($0.description)").inserted }
            .sorted { $0.mark < $1.mark }
    }

    /// Every error of `error` as a list, whether it is one or several.
    public static func flatten(_ error: any Error) -> [YAMLError]? {
        switch error {
        case let one as YAMLError: return [one]
        case let many as YAMLErrors: return many.errors
        default: return nil
        }
    }

    public var description: String { errors.map { "\($0.mark): \($0)" }.joined(separator: "\n") }
}
