/// A value that manifests write as one string, checked when it is decoded: a glob, a regex.
///
/// Conforming types get `Codable` for free, with the parse error as the decoding error's message
/// (the YAML decoder locates it at the string's line and column).
protocol TextCodable: Codable, CustomStringConvertible {
    /// Parses the text as written in a manifest.
    init(parsing text: String) throws
    /// The text as written in a manifest.
    var text: String { get }
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var description: String { text }
}
