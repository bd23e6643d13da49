import YAML

/// Reads a legacy config the way the legacy system did: bash assignments, except the keys read
/// with grep/cut (literal) and the argument lists (split into words).
///
/// Only what has a safe, static equivalent is accepted: quotes, escapes, `$'…'`, `$VAR` and
/// `${VAR}` (with `:-`, `-`, `:+`, `+`, `:=`, `=`) of earlier keys, comments, `export`, line
/// continuations, and `$(basename …)` / `$(dirname …)` of `$file` or of a known value. Anything
/// that would run a command (other `$(…)`, backticks, pipes, redirections, a command word) or
/// depends on the machine (`~`, `$$`, `$1`) is an error at its line and column.
struct LegacyConfigParser {
    /// The deepest expansions may nest (`${A:-${B:-…}}`, `"$(basename "$x")"`): the parser is
    /// recursive, and no real config nests more than a few levels.
    static let maxDepth = 64
    /// The largest value an assignment may expand to, 1 MiB: Linux refuses a single argument or
    /// environment string over 128 KiB anyway, and the bound keeps `A="$A$A"` lines from
    /// doubling a value into gigabytes.
    static let maxValueSize = 1 << 20

    private struct ParseError: Error {
        var mark: Mark
        var message: String
    }

    /// A word being built: finished fields plus the current one.
    private struct Fields {
        var done: [ShellValue] = []
        var current = ShellValue()
        var started = false
        let splits: Bool
        /// The UTF-8 size of every field so far.
        var size: Int { done.reduce(current.textSize) { $0 + $1.textSize } }

        mutating func literal(_ text: String) {
            current.append(.text(text))
            started = true
        }

        mutating func expansion(_ value: ShellValue, quoted: Bool) {
            guard splits, !quoted else {
                current.append(value)
                started = true
                return
            }
            for part in value.parts {
                guard case .text(let text) = part else {
                    current.append(part)
                    started = true
                    continue
                }
                for character in text {
                    if character == " " || character == "\t" || character == "\n" {
                        finishField()
                    } else {
                        literal(String(character))
                    }
                }
            }
        }

        mutating func finishField() {
            if started { done.append(current) }
            current = ShellValue()
            started = false
        }
    }

    let file: String
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0
    private var variables: [String: ShellValue] = [:]
    private var firstMarks: [String: Mark] = [:]
    private(set) var assignments: [LegacyConfig.Assignment] = []
    private(set) var errors: [Diagnostic] = []
    private(set) var warnings: [Diagnostic] = []

    init(text: String, file: String) {
        self.file = file
        var text = text
        if text.hasPrefix("\u{FEFF}") {
            text.removeFirst()
        }
        // Swift treats "\r\n" as one Character; split it so that "\r" can be dropped.
        var characters: [Character] = []
        var sawCRLF = false
        for character in text {
            if character == "\r\n" {
                sawCRLF = true
                characters.append("\n")
            } else {
                characters.append(character)
            }
        }
        chars = characters
        if sawCRLF {
            warnings.append(
                Diagnostic(
                    .warning,
                    file: file,
                    at: .start,
                    "CRLF line endings are read as LF (bash would keep a \\r at the end of each value)"
                )
            )
        }
    }

    private var mark: Mark { Mark(line: line, column: column) }
    private var current: Character? { index < chars.count ? chars[index] : nil }
    private func peek(_ offset: Int = 1) -> Character? { index + offset < chars.count ? chars[index + offset] : nil }

    private mutating func advance() {
        if chars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    mutating func run() {
        // bash reads a value only up to a NUL byte, and no command can take one: refuse the file.
        if let nul = chars.firstIndex(of: "\u{0}") {
            var position = Mark.start
            for character in chars[..<nul] {
                position =
                    character == "\n"
                    ? Mark(line: position.line + 1, column: 1) : Mark(line: position.line, column: position.column + 1)
            }
            errors.append(
                Diagnostic(
                    .error,
                    file: file,
                    at: position,
                    "a NUL byte: a config is text, and no command or environment value can hold one"
                )
            )
            return
        }
        while current != nil {
            do {
                try statement()
            } catch {
                errors.append(Diagnostic(.error, file: file, at: error.mark, error.message))
                skipLine()
            }
        }
    }

    private mutating func skipBlanks() {
        while let character = current, character == " " || character == "\t" { advance() }
    }

    private mutating func skipLine() {
        while let character = current, character != "\n" { advance() }
        if current != nil { advance() }
    }

    private var atStatementEnd: Bool {
        guard let character = current else { return true }
        return character == "\n" || character == ";" || character == "#"
    }

    private mutating func statement() throws(ParseError) {
        skipBlanks()
        guard let first = current else { return }
        if first == "\n" || first == ";" { return advance() }
        if first == "#" { return skipLine() }
        var exported = false
        if lookingAt("export"), let after = peek(6), after == " " || after == "\t" {
            for _ in 0..<6 { advance() }
            skipBlanks()
            exported = true
        }
        repeat {
            let start = mark
            let wholeWord = peekWord()
            let name = readName()
            if current == "=" || (current == "+" && peek() == "=") {
                let appending = current == "+"
                if appending { advance() }
                advance()
                try assignment(name, at: start, appending: appending)
            } else if exported, !name.isEmpty, atStatementEnd || current == " " || current == "\t" {
                // `export NAME` marks a key for export; every key is exported to the run anyway.
            } else if name.isEmpty {
                throw ParseError(mark: start, message: "expected KEY=value, found \"\(describe(current))\"")
            } else {
                throw ParseError(
                    mark: start,
                    message:
                        "\"\(wholeWord)\" is not an assignment: bash would run it as a command; only KEY=value lines are supported"
                )
            }
            skipBlanks()
        } while !atStatementEnd
        if current == "#" { skipLine() }
    }

    private mutating func assignment(_ name: String, at start: Mark, appending: Bool) throws(ParseError) {
        let value: LegacyConfig.Value
        if LegacyConfig.rawKeys.contains(name) {
            let text = readRawRestOfLine()
            if text.contains(" #") || Self.referencesVariable(text) {
                warnings.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: start,
                        "\(name) is read literally, as the legacy loop read it with grep and cut: \"\(text)\" (a \" #\" is not a comment and \"$\" is not expanded here)"
                    )
                )
            }
            value = .raw(text)
        } else if LegacyConfig.argumentKeys.contains(name) {
            let words = try argumentWords()
            if words.count == 1, let only = words[0].staticText, only.contains(" ") {
                warnings.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: start,
                        "\(name) is one quoted word, \"\(only)\", so it is passed as one argument; remove the quotes to pass several"
                    )
                )
            }
            value = .arguments(words)
        } else {
            if current == "(" {
                throw ParseError(mark: mark, message: "bash arrays have no equivalent; write the value as a string")
            }
            var word = try self.word(splitting: false).first ?? ShellValue()
            if appending, let previous = variables[name] {
                var joined = previous
                joined.append(word)
                word = joined
            }
            value = .word(word)
            if !atStatementEnd, current != " ", current != "\t" {
                throw ParseError(mark: mark, message: "unexpected \"\(describe(current))\" after the value of \(name)")
            }
            if current == " " || current == "\t" {
                skipBlanks()
                if let character = current, "|&<>()".contains(character) {
                    throw ParseError(mark: mark, message: Self.operatorMessage(character))
                }
                if !atStatementEnd, !lookingAtAssignment() {
                    throw ParseError(
                        mark: mark,
                        message:
                            "unquoted space in the value of \(name): bash would run \"\(peekWord())\" as a command with \(name) set for it alone; quote the value"
                    )
                }
            }
        }
        if let first = firstMarks[name] {
            if !appending {
                warnings.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: start,
                        "\(name) is set again (first at line \(first.line)); the later value wins"
                    )
                )
            }
        } else {
            firstMarks[name] = start
        }
        switch value {
        case .word(let word): variables[name] = word
        case .raw(let text): variables[name] = .literal(text)
        case .arguments(let words): variables[name] = .literal(words.compactMap(\.staticText).joined(separator: " "))
        }
        assignments.append(LegacyConfig.Assignment(name: name, value: value, mark: start))
    }

    /// The rest of the physical line, literally, with one pair of surrounding quotes removed.
    private mutating func readRawRestOfLine() -> String {
        var text = ""
        while let character = current, character != "\n" {
            text.append(character)
            advance()
        }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            text = String(text.dropFirst().dropLast())
        }
        return text
    }

    private mutating func argumentWords() throws(ParseError) -> [ShellValue] {
        var words: [ShellValue] = []
        while true {
            skipBlanks()
            guard let character = current, character != "\n", character != "#" else { break }
            if character == ";" {
                throw ParseError(
                    mark: mark,
                    message: "unquoted \";\" in an argument list would end the command; quote it"
                )
            }
            words += try word(splitting: true)
        }
        if current == "#" { skipLine() }
        return words
    }

    /// One shell word: its fields (one, or several when unquoted expansions are split).
    private mutating func word(splitting: Bool, until terminator: Character? = nil) throws(ParseError) -> [ShellValue] {
        var fields = Fields(splits: splitting)
        if current == "~" {
            throw ParseError(
                mark: mark,
                message: "\"~\" expands to the home folder of whoever runs the script; write the full path"
            )
        }
        while let character = current {
            if let terminator, character == terminator { break }
            switch character {
            case " ", "\t", "\n", ";":
                fields.finishField()
                return fields.done
            case "|", "&", "<", ">", "(", ")":
                throw ParseError(mark: mark, message: Self.operatorMessage(character))
            case "`":
                throw ParseError(mark: mark, message: "backticks run a command; they have no safe equivalent")
            case "\\":
                advance()
                guard let escaped = current else {
                    fields.literal("\\")
                    break
                }
                advance()
                if escaped != "\n" { fields.literal(String(escaped)) }
            case "'":
                fields.literal(try singleQuoted())
            case "\"":
                fields.expansion(try doubleQuoted(), quoted: true)
            case "$":
                let (value, quoted) = try dollar()
                fields.expansion(value, quoted: quoted)
            default:
                fields.literal(String(character))
                advance()
            }
            if fields.current.textSize > Self.maxValueSize { throw tooLarge() }
        }
        fields.finishField()
        if fields.size > Self.maxValueSize { throw tooLarge() }
        return fields.done
    }

    private func tooLarge() -> ParseError {
        ParseError(
            mark: mark,
            message:
                "the value grows past \(Self.maxValueSize / 1024) KiB here; no command takes an argument or environment value that large"
        )
    }

    private mutating func singleQuoted() throws(ParseError) -> String {
        let start = mark
        advance()
        var text = ""
        while let character = current, character != "'" {
            text.append(character)
            advance()
        }
        guard current != nil else { throw ParseError(mark: start, message: "unterminated single quote") }
        advance()
        return text
    }

    private mutating func doubleQuoted() throws(ParseError) -> ShellValue {
        let start = mark
        advance()
        var value = ShellValue()
        while let character = current, character != "\"" {
            switch character {
            case "\\":
                advance()
                guard let escaped = current else { break }
                advance()
                if escaped == "\n" { continue }
                value.append(.text("$`\"\\".contains(escaped) ? String(escaped) : "\\" + String(escaped)))
            case "$":
                value.append(try dollar().value)
                if value.textSize > Self.maxValueSize { throw tooLarge() }
            case "`":
                throw ParseError(mark: mark, message: "backticks run a command; they have no safe equivalent")
            default:
                value.append(.text(String(character)))
                advance()
            }
        }
        guard current != nil else { throw ParseError(mark: start, message: "unterminated double quote") }
        advance()
        return value
    }

    /// An expansion starting at `$`: the value and whether it is quoted (exempt from splitting).
    private mutating func dollar() throws(ParseError) -> (value: ShellValue, quoted: Bool) {
        let start = mark
        guard depth < Self.maxDepth else {
            throw ParseError(mark: start, message: "expansions nest deeper than \(Self.maxDepth) levels")
        }
        depth += 1
        defer { depth -= 1 }
        advance()
        guard let next = current else { return (.literal("$"), true) }
        switch next {
        case "'":
            return (.literal(try ansiCQuoted()), true)
        case "\"":
            return (try doubleQuoted(), true)
        case "(":
            if peek() == "(" {
                throw ParseError(mark: start, message: "arithmetic $((…)) has no safe equivalent; write the result")
            }
            return (try commandSubstitution(at: start), false)
        case "{":
            return (try braceExpansion(at: start), false)
        case "$", "?", "!", "#", "@", "*", "-", "0"..."9":
            throw ParseError(
                mark: start,
                message: "special parameter $\(next) depends on the running shell; it has no safe equivalent"
            )
        default:
            let name = readName()
            if name.isEmpty { return (.literal("$"), true) }
            return (lookup(name, at: start), false)
        }
    }

    private mutating func lookup(_ name: String, at mark: Mark) -> ShellValue {
        if let value = variables[name] { return value }
        if name == "file" { return ShellValue([.file(.path)]) }
        warnings.append(
            Diagnostic(
                .warning,
                file: file,
                at: mark,
                "$\(name) is not set earlier in the file; bash would take it from the environment of the legacy loop, here it is empty"
            )
        )
        return ShellValue()
    }

    private mutating func braceExpansion(at start: Mark) throws(ParseError) -> ShellValue {
        advance()
        let name = readName()
        guard !name.isEmpty else {
            throw ParseError(
                mark: start,
                message: "this parameter expansion has no safe equivalent; use ${NAME} or ${NAME:-default}"
            )
        }
        var operation = ""
        if current == ":" {
            operation = ":"
            advance()
        }
        if let character = current, "-+=".contains(character) {
            operation.append(character)
            advance()
        } else if current != "}" || !operation.isEmpty {
            throw ParseError(
                mark: start,
                message: "this parameter expansion has no safe equivalent; use ${NAME} or ${NAME:-default}"
            )
        }
        var argument = ShellValue()
        if !operation.isEmpty {
            for field in try word(splitting: false, until: "}") { argument.append(field) }
        }
        guard current == "}" else { throw ParseError(mark: start, message: "\"${\" is not closed by \"}\"") }
        advance()
        let known = variables[name] ?? (name == "file" ? ShellValue([.file(.path)]) : nil)
        let isSet = known != nil
        let isNonEmpty = !(known?.isEmpty ?? true)
        switch operation {
        case "": return lookup(name, at: start)
        case ":-": return isNonEmpty ? known! : argument
        case "-": return isSet ? known! : argument
        case ":+": return isNonEmpty ? argument : ShellValue()
        case "+": return isSet ? argument : ShellValue()
        case ":=", "=":
            if (operation == ":=" && isNonEmpty) || (operation == "=" && isSet) { return known! }
            variables[name] = argument
            return argument
        default: return ShellValue()
        }
    }

    /// `$(basename WORD)` or `$(dirname WORD)` where WORD is `$file` or a known value.
    private mutating func commandSubstitution(at start: Mark) throws(ParseError) -> ShellValue {
        advance()
        skipBlanks()
        let program = readName()
        guard program == "basename" || program == "dirname", current == " " || current == "\t" else {
            throw ParseError(
                mark: start,
                message:
                    "command substitution $(…) has no safe equivalent (only $(basename …) and $(dirname …) of $file or of a known value are converted)"
            )
        }
        skipBlanks()
        let argument = try word(splitting: false, until: ")")
        skipBlanks()
        guard current == ")", argument.count == 1 else {
            throw ParseError(mark: start, message: "$(\(program) …) takes exactly one argument here")
        }
        advance()
        let value = argument[0]
        if value.parts == [.file(.path)] { return ShellValue([.file(program == "basename" ? .name : .directory)]) }
        guard let text = value.staticText else {
            throw ParseError(mark: start, message: "$(\(program) …) of a value built from $file has no safe equivalent")
        }
        return .literal(program == "basename" ? Self.basename(text) : Self.dirname(text))
    }

    private mutating func ansiCQuoted() throws(ParseError) -> String {
        let start = mark
        advance()
        var text = ""
        while let character = current, character != "'" {
            advance()
            guard character == "\\", let escaped = current else {
                text.append(character)
                continue
            }
            advance()
            switch escaped {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "a": text.append("\u{07}")
            case "b": text.append("\u{08}")
            case "e", "E": text.append("\u{1B}")
            case "f": text.append("\u{0C}")
            case "v": text.append("\u{0B}")
            case "x", "u", "U":
                let width = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                var digits = ""
                while digits.count < width, let digit = current, digit.isHexDigit {
                    digits.append(digit)
                    advance()
                }
                if let code = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(code) {
                    text.unicodeScalars.append(scalar)
                } else {
                    text += "\\" + String(escaped) + digits
                }
            // ASCII digits only: "1" followed by a combining mark is one Character that sorts
            // between "0" and "7" yet is no octal digit.
            case let octal where octal.isASCII && ("0"..."7").contains(octal):
                var digits = String(escaped)
                while digits.count < 3, let digit = current, digit.isASCII, ("0"..."7").contains(digit) {
                    digits.append(digit)
                    advance()
                }
                text.unicodeScalars.append(Unicode.Scalar(UInt8((UInt32(digits, radix: 8) ?? 0) & 0xFF)))
            default:
                text += "\\'\"?".contains(escaped) ? String(escaped) : "\\" + String(escaped)
            }
        }
        guard current != nil else { throw ParseError(mark: start, message: "unterminated $'…' quote") }
        advance()
        if text.unicodeScalars.contains("\u{0}") {
            throw ParseError(
                mark: start,
                message: "this $'…' quote makes a NUL byte, which no command or environment value can hold"
            )
        }
        return text
    }

    private mutating func readName() -> String {
        var name = ""
        while let character = current, character.isASCII,
            character == "_" || character.isLetter || (character.isNumber && !name.isEmpty)
        {
            name.append(character)
            advance()
        }
        return name
    }

    private func lookingAt(_ word: String) -> Bool {
        Array(word).enumerated().allSatisfy { peek($0.offset) == $0.element }
    }

    private func lookingAtAssignment() -> Bool {
        var offset = 0
        while let character = peek(offset), character.isASCII,
            character == "_" || character.isLetter || (character.isNumber && offset > 0)
        { offset += 1 }
        return offset > 0 && (peek(offset) == "=" || (peek(offset) == "+" && peek(offset + 1) == "="))
    }

    private func peekWord() -> String {
        var offset = 0
        var text = ""
        while let character = peek(offset), !" \t\n;".contains(character) {
            text.append(character)
            offset += 1
        }
        return text
    }

    private func describe(_ character: Character?) -> String {
        guard let character else { return "end of file" }
        return character == "\n" ? "end of line" : String(character)
    }

    /// Whether `text` holds something bash would expand: `$NAME` or `${…}` (a regex's `$` anchor is not).
    private static func referencesVariable(_ text: String) -> Bool {
        zip(text, text.dropFirst()).contains { $0 == "$" && ($1 == "{" || $1 == "_" || ($1.isASCII && $1.isLetter)) }
    }

    private static func operatorMessage(_ character: Character) -> String {
        "unquoted \"\(character)\" has no safe equivalent (bash would treat it as an operator); quote the value"
    }

    static func basename(_ path: String) -> String {
        let trimmed = path.reversed().drop { $0 == "/" }.reversed()
        if trimmed.isEmpty { return path.isEmpty ? "" : "/" }
        return String(String(trimmed).split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }

    static func dirname(_ path: String) -> String {
        let trimmed = String(path.reversed().drop { $0 == "/" }.reversed())
        guard let slash = trimmed.lastIndex(of: "/") else { return path.hasPrefix("/") ? "/" : "." }
        let head = String(trimmed[..<slash].reversed().drop { $0 == "/" }.reversed())
        return head.isEmpty ? "/" : head
    }
}
