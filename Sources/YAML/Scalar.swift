/// The text of a scalar node and how it was written.
public struct Scalar: Sendable, Equatable {
    /// How a scalar is written; only plain scalars are resolved to non-string types.
    public enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// A scalar's value under the YAML 1.2 core schema.
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
    }

    public var text: String
    public var style: Style

    public init(_ text: String, style: Style = .plain) {
        self.text = text
        self.style = style
    }

    /// Resolves the scalar under the YAML 1.2 core schema: quoted and block scalars are strings;
    /// a plain scalar is null, a boolean, an integer or a float when its text matches that type's
    /// pattern, a string otherwise. An explicit standard tag (`!!str`, `!!int`…) takes precedence.
    public func resolve(tag: String? = nil) -> Value {
        switch tag {
        case Tag.str: return .string(text)
        case Tag.null: return .null
        case Tag.bool: return Scalar.resolvePlain(text).boolOr(.string(text))
        case Tag.int:
            if case .int = Scalar.resolvePlain(text) { return Scalar.resolvePlain(text) }
            return .string(text)
        case Tag.float:
            switch Scalar.resolvePlain(text) {
            case .int(let value): return .float(Double(value))
            case .float(let value): return .float(value)
            default: return .string(text)
            }
        case .some, .none:
            return style == .plain ? Scalar.resolvePlain(text) : .string(text)
        }
    }

    /// The core schema's resolution of plain text.
    public static func resolvePlain(_ text: String) -> Value {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        if let value = parseInteger(bytes) { return .int(value) }
        if isCoreFloat(bytes), let value = Double(text) { return .float(value) }
        return .string(text)
    }

    /// The style that makes `text` read back as a string, by YAML 1.2 and by YAML 1.1 readers
    /// (which take `yes`, `off`, `0777` or `1_000` for other types).
    static func preferredStyle(forString text: String) -> Style {
        if text.contains("\n") { return .literal }
        guard case .string = resolvePlain(text), !looksTypedToYAML11(text) else { return .doubleQuoted }
        return .plain
    }

    private static func looksTypedToYAML11(_ text: String) -> Bool {
        let words: Set<String> = [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
            "on", "On", "ON", "off", "Off", "OFF", "=",
        ]
        if words.contains(text) { return true }
        // YAML 1.1 numbers: `0777`, `1_000`, `12:30`, `0b101`, `1.5e3`… after an optional sign.
        var body = Substring(text)
        if let sign = body.first, sign == "-" || sign == "+" { body = body.dropFirst() }
        guard let first = body.first, first.isASCII, first.isNumber || first == "." else { return false }
        return body.contains { $0.isNumber } && body.allSatisfy { "0123456789+-._:eExXoObBabcdefABCDEF".contains($0) }
    }

    private static func parseInteger(_ bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty else { return nil }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let digits = String(decoding: bytes[2...], as: UTF8.self)
            if bytes[1] == UInt8(ascii: "x") { return digits.allSatisfy(\.isHexDigit) ? Int(digits, radix: 16) : nil }
            if bytes[1] == UInt8(ascii: "o") {
                return digits.allSatisfy({ ("0"..."7").contains($0) }) ? Int(digits, radix: 8) : nil
            }
        }
        var digits = bytes[...]
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    private static func isCoreFloat(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                _ = digits()
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

extension Scalar.Value {
    fileprivate func boolOr(_ fallback: Scalar.Value) -> Scalar.Value {
        if case .bool = self { return self }
        return fallback
    }
}

/// The standard tags of the YAML core schema, as libyaml reports them once expanded.
public enum Tag {
    public static let str = "tag:yaml.org,2002:str"
    public static let null = "tag:yaml.org,2002:null"
    public static let bool = "tag:yaml.org,2002:bool"
    public static let int = "tag:yaml.org,2002:int"
    public static let float = "tag:yaml.org,2002:float"
    public static let seq = "tag:yaml.org,2002:seq"
    public static let map = "tag:yaml.org,2002:map"
}
