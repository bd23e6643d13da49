/// A file-name pattern, matched against a path relative to the watched folder.
///
/// Semantics follow `.gitignore`, which most users already know:
/// - a pattern without `/` matches the file name at any depth (`*.csv` matches `a/b/x.csv`);
/// - a pattern with `/` matches the whole relative path (a leading `/` is ignored);
/// - `*` and `?` stop at `/`; `**` crosses folders (`reports/**/*.csv`);
/// - `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`) match one character; `{csv,xlsx}` alternatives;
/// - `\` makes the next character literal.
public struct Glob: Sendable, Hashable, TextCodable {
    public let pattern: String
    private let tokens: [Token]
    private let matchesBaseName: Bool
    /// The common shapes (`*.csv`, `~$*`, `name.csv`), matched on bytes without the general matcher.
    private let shortcut: Shortcut?

    enum Shortcut: Sendable, Hashable {
        case suffix([UInt8])
        case prefix([UInt8])
        case exact([UInt8])
    }

    indirect enum Token: Sendable, Hashable {
        case literal(Character)
        case any
        case star
        case globstar
        case set([ClosedRange<Character>], negated: Bool)
        case alternatives([[Token]])
    }

    /// Compiles `pattern`, or explains why it is not a valid glob.
    public init(_ pattern: String) throws(GlobError) {
        guard !pattern.isEmpty else { throw GlobError(pattern: pattern, reason: "it is empty") }
        var body = Substring(pattern)
        matchesBaseName = !pattern.contains("/")
        if body.hasPrefix("/") { body = body.dropFirst() }
        var parser = GlobParser(pattern: pattern, rest: body)
        tokens = try parser.parseSequence(inAlternative: false)
        self.pattern = pattern
        shortcut = Glob.shortcut(for: tokens)
    }

    private static func shortcut(for tokens: [Token]) -> Shortcut? {
        func literal(_ slice: ArraySlice<Token>) -> [UInt8]? {
            var text = ""
            for token in slice {
                guard case .literal(let character) = token, character != "/" else { return nil }
                text.append(character)
            }
            return Array(text.utf8)
        }
        if tokens.first == .star, let rest = literal(tokens.dropFirst()) { return .suffix(rest) }
        if tokens.last == .star, let rest = literal(tokens.dropLast()) { return .prefix(rest) }
        return literal(tokens[...]).map(Shortcut.exact)
    }

    /// Whether `relativePath` (components separated by `/`) matches.
    public func matches(_ relativePath: String) -> Bool {
        if let shortcut, matchesBaseName {
            var path = relativePath
            return path.withUTF8 { bytes in
                let start = (bytes.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
                let name = UnsafeBufferPointer(rebasing: bytes[start...])
                switch shortcut {
                case .suffix(let suffix): return name.count >= suffix.count && name.suffix(suffix.count).elementsEqual(suffix)
                case .prefix(let prefix): return name.count >= prefix.count && name.prefix(prefix.count).elementsEqual(prefix)
                case .exact(let text): return name.elementsEqual(text)
                }
            }
        }
        let subject = matchesBaseName ? Substring(relativePath.split(separator: "/").last ?? "") : Substring(relativePath)
        return Glob.match(tokens[...], Array(subject)[...])
    }

    private static func match(_ tokens: ArraySlice<Token>, _ text: ArraySlice<Character>) -> Bool {
        guard let token = tokens.first else { return text.isEmpty }
        let rest = tokens.dropFirst()
        switch token {
        case .literal(let character):
            return text.first == character && match(rest, text.dropFirst())
        case .any:
            guard let first = text.first, first != "/" else { return false }
            return match(rest, text.dropFirst())
        case .set(let ranges, let negated):
            guard let first = text.first, first != "/" else { return false }
            return ranges.contains { $0.contains(first) } != negated && match(rest, text.dropFirst())
        case .star:
            var remaining = text
            while true {
                if match(rest, remaining) { return true }
                guard let first = remaining.first, first != "/" else { return false }
                remaining = remaining.dropFirst()
            }
        case .globstar:
            // `**/` also matches no folder at all: `a/**/b` matches `a/b`.
            if rest.first == .literal("/"), match(rest.dropFirst(), text) { return true }
            var remaining = text
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        case .alternatives(let options):
            return options.contains { match(ArraySlice($0 + rest), text) }
        }
    }

    init(parsing text: String) throws { try self.init(text) }
    var text: String { pattern }

    public static func == (lhs: Glob, rhs: Glob) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

/// Why a text is not a glob.
public struct GlobError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "bad glob \"\(pattern)\": \(reason)" }
}

private struct GlobParser {
    let pattern: String
    var rest: Substring

    mutating func parseSequence(inAlternative: Bool) throws(GlobError) -> [Glob.Token] {
        var tokens: [Glob.Token] = []
        while let character = rest.first {
            if inAlternative, character == "," || character == "}" { return tokens }
            rest = rest.dropFirst()
            switch character {
            case "*":
                if rest.first == "*" {
                    rest = rest.dropFirst()
                    tokens.append(.globstar)
                    while rest.first == "*" { rest = rest.dropFirst() }
                } else {
                    tokens.append(.star)
                }
            case "?": tokens.append(.any)
            case "[": tokens.append(try parseSet())
            case "{": tokens.append(try parseAlternatives())
            case "}" where !inAlternative: throw fail("unmatched \"}\"")
            case "\\":
                guard let escaped = rest.first else { throw fail("it ends with a lone \"\\\"") }
                rest = rest.dropFirst()
                tokens.append(.literal(escaped))
            default: tokens.append(.literal(character))
            }
        }
        return tokens
    }

    private mutating func parseSet() throws(GlobError) -> Glob.Token {
        var negated = false
        if let first = rest.first, first == "!" || first == "^" {
            negated = true
            rest = rest.dropFirst()
        }
        var ranges: [ClosedRange<Character>] = []
        var isFirst = true
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == "]" && !isFirst {
                return .set(ranges, negated: negated)
            }
            isFirst = false
            var low = character
            if low == "\\" {
                guard let escaped = rest.first else { break }
                low = escaped
                rest = rest.dropFirst()
            }
            if rest.first == "-", let high = rest.dropFirst().first, high != "]" {
                rest = rest.dropFirst(2)
                guard low <= high else { throw fail("range \(low)-\(high) is reversed") }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        throw fail("\"[\" is not closed")
    }

    private mutating func parseAlternatives() throws(GlobError) -> Glob.Token {
        var options: [[Glob.Token]] = []
        while true {
            options.append(try parseSequence(inAlternative: true))
            guard let separator = rest.first else { throw fail("\"{\" is not closed") }
            rest = rest.dropFirst()
            if separator == "}" { return .alternatives(options) }
        }
    }

    private func fail(_ reason: String) -> GlobError { GlobError(pattern: pattern, reason: reason) }
}
