#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX extended regular expression (the dialect of `grep -E` and of the legacy
/// `inotifywait --include`), matched against a path relative to the watched folder.
///
/// The value keeps the pattern text; `compile()` gives a matcher. Validation compiles it once
/// with the C library's `regcomp`, which is the engine matching will use, so what validates is
/// exactly what runs.
public struct ExtendedRegex: Sendable, Hashable, TextCodable {
    public let pattern: String

    /// Checks `pattern`, or explains why it is not a valid POSIX ERE.
    public init(_ pattern: String) throws(RegexError) {
        if let escape = ExtendedRegex.perlEscape(in: pattern) {
            throw RegexError(
                pattern: pattern,
                reason:
                    "\\\(escape) is not POSIX ERE (it would match a literal \"\(escape)\"); write \(ExtendedRegex.replacement(for: escape))"
            )
        }
        if let problem = RegexBounds.problem(in: pattern) { throw RegexError(pattern: pattern, reason: problem) }
        self.pattern = pattern
        _ = try compile()
    }

    /// A matcher for the pattern.
    public func compile() throws(RegexError) -> CompiledRegex {
        try CompiledRegex.compile(pattern)
    }

    init(parsing text: String) throws { try self.init(text) }
    var text: String { pattern }

    private static func perlEscape(in pattern: String) -> Character? {
        var escaped = false
        for character in pattern {
            if escaped, "dDhH".contains(character) { return character }
            escaped = !escaped && character == "\\"
        }
        return nil
    }

    private static func replacement(for escape: Character) -> String {
        switch escape {
        case "d": return "[0-9]"
        case "D": return "[^0-9]"
        case "h": return "[[:blank:]]"
        default: return "[^[:blank:]]"
        }
    }
}

/// A compiled POSIX ERE. `regexec` only reads the compiled pattern (glibc locks internally), so
/// one instance may serve several tasks.
public final class CompiledRegex: @unchecked Sendable {
    private let regex: UnsafeMutablePointer<regex_t>

    private init(compiled regex: UnsafeMutablePointer<regex_t>) { self.regex = regex }

    static func compile(_ pattern: String) throws(RegexError) -> CompiledRegex {
        let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(regex, pattern, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(status, regex, &buffer, buffer.count)
            regex.deallocate()
            throw RegexError(
                pattern: pattern,
                reason: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
        }
        return CompiledRegex(compiled: regex)
    }

    deinit {
        regfree(regex)
        regex.deallocate()
    }

    /// Whether the pattern matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        regexec(regex, text, 0, nil, 0) == 0
    }
}

/// Why a text is not a POSIX ERE.
public struct RegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "bad regex \"\(pattern)\": \(reason)" }
}
