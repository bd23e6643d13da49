import YAML

/// The `run.env` of a pipeline: ordered names and values, as written.
///
/// Order is kept so that the env file of a run and a converted manifest read like their source.
public struct Environment: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var value: EnvValue

        public init(name: String, value: EnvValue) {
            self.name = name
            self.value = value
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    public var names: [String] { entries.map(\.name) }

    public subscript(name: String) -> EnvValue? { entries.first { $0.name == name }?.value }

    /// Whether `name` can be an environment variable: a letter or `_`, then letters, digits, `_`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    /// Whether a key's name suggests a secret (password, token, secret, key…), whose literal value
    /// should come from the orchestrator's environment instead, and is redacted wherever shown.
    public static func looksSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "passwd", "pwd", "token", "secret", "key", "credential", "apikey"].contains {
            lower.contains($0)
        }
    }

    /// Names reserved for the variables the orchestrator sets for each run.
    public static let reservedPrefix = "ORCHESTRATOR_"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var errors = FieldErrors(decoder)
        var entries: [Entry] = []
        for key in container.allKeys {
            if !Environment.isValidName(key.stringValue) {
                errors.fail(
                    at: decoder.yamlLocation(ofKey: key),
                    "\"\(key.stringValue)\" is not a valid environment variable name (letters, digits and _, not starting with a digit)"
                )
            } else if key.stringValue.hasPrefix(Environment.reservedPrefix) {
                errors.fail(
                    at: decoder.yamlLocation(ofKey: key),
                    "names starting with \(Environment.reservedPrefix) are set by the orchestrator for each run"
                )
            }
            if let value = errors.attempt({ try container.decode(EnvValue.self, forKey: key) }) {
                entries.append(Entry(name: key.stringValue, value: value))
            }
        }
        try errors.finish()
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for entry in entries {
            try container.encode(entry.value, forKey: AnyKey(entry.name))
        }
    }
}

/// One value of `run.env`: text (which may hold templates), or a secret taken from the
/// orchestrator's own environment when a run starts, so that it is never written in a manifest,
/// a plan or a log.
public enum EnvValue: Sendable, Hashable, Codable {
    case value(Template)
    case fromEnv(String)

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case fromEnv
    }

    public init(from decoder: any Decoder) throws {
        if let node = (decoder as? any YAMLNodeDecoder)?.node, let scalar = node.scalar {
            // Numbers and booleans are welcome as values (`port: 9200`): the text is what counts.
            guard node.resolved != .null else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "expected a value or {fromEnv: NAME}, found null; write \"\" for an empty value"
                    )
                )
            }
            self = .value(try Template.decodeText(scalar.text, decoder: decoder))
            return
        }
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = .value(try Template.decodeText(text, decoder: decoder))
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .fromEnv)
        guard Environment.isValidName(name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .fromEnv,
                in: container,
                debugDescription: "\"\(name)\" is not a valid environment variable name"
            )
        }
        self = .fromEnv(name)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .value(let template):
            try template.encode(to: encoder)
        case .fromEnv(let name):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .fromEnv)
        }
    }
}

extension Template {
    /// Parses `text` as a template at the decoder's location, with a decoding error if it is bad.
    static func decodeText(_ text: String, decoder: any Decoder) throws -> Template {
        do {
            return try Template(text, location: decoder.yamlLocation)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description)
            )
        }
    }
}
