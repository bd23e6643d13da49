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
    private let program: [Instruction]
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
        let tokens = try parser.parseSequence(inAlternative: false)
        self.pattern = pattern
        shortcut = Glob.shortcut(for: tokens)
        var program: [Instruction] = []
        Glob.compile(tokens[...], into: &program)
        program.append(.match)
        self.program = program
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
                case .suffix(let suffix):
                    return name.count >= suffix.count && name.suffix(suffix.count).elementsEqual(suffix)
                case .prefix(let prefix):
                    return name.count >= prefix.count && name.prefix(prefix.count).elementsEqual(prefix)
                case .exact(let text): return name.elementsEqual(text)
                }
            }
        }
        let subject =
            matchesBaseName ? Substring(relativePath.split(separator: "/").last ?? "") : Substring(relativePath)
        return run(Array(subject))
    }

    /// One step of the compiled pattern: a Thompson automaton, run over the text once with a
    /// set of current states, so matching takes time linear in the text whatever the pattern
    /// (a backtracking matcher takes seconds on `*-*-*-*-*-*.csv` against a name of 80 dashes).
    enum Instruction: Sendable, Hashable {
        case literal(Character)
        /// Any character but `/`, or (`crossesFolders`) any character.
        case any(crossesFolders: Bool)
        case set([ClosedRange<Character>], negated: Bool)
        /// Continue at both targets.
        case split(Int, Int)
        case jump(Int)
        case match
    }

    private static func compile(_ tokens: ArraySlice<Token>, into program: inout [Instruction]) {
        var index = tokens.startIndex
        while index < tokens.endIndex {
            let token = tokens[index]
            index += 1
            switch token {
            case .literal(let character): program.append(.literal(character))
            case .any: program.append(.any(crossesFolders: false))
            case .set(let ranges, let negated): program.append(.set(ranges, negated: negated))
            case .star, .globstar:
                // loop: split(body, exit); body: any; jump loop; exit:
                let crosses = token == .globstar
                if crosses, index < tokens.endIndex, tokens[index] == .literal("/") {
                    // `**/` also matches no folder at all: `a/**/b` matches `a/b`.
                    let skip = program.count
                    program.append(.split(skip + 1, 0))
                    appendLoop(crossesFolders: true, into: &program)
                    program.append(.literal("/"))
                    program[skip] = .split(skip + 1, program.count)
                    index += 1
                } else {
                    appendLoop(crossesFolders: crosses, into: &program)
                }
            case .alternatives(let options):
                // split(option 1, next split); option 1; jump end; … one branch per option.
                var jumps: [Int] = []
                for (number, option) in options.enumerated() {
                    let split = program.count
                    let isLast = number == options.count - 1
                    if !isLast { program.append(.split(split + 1, 0)) }
                    compile(option[...], into: &program)
                    if !isLast {
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    }
                }
                for jump in jumps { program[jump] = .jump(program.count) }
            }
        }
    }

    private static func appendLoop(crossesFolders: Bool, into program: inout [Instruction]) {
        let loop = program.count
        program.append(.split(loop + 1, loop + 3))
        program.append(.any(crossesFolders: crossesFolders))
        program.append(.jump(loop))
    }

    /// Runs the automaton over `text`: each character advances every live state at once.
    private func run(_ text: [Character]) -> Bool {
        var current: [Int] = [], next: [Int] = []
        var seen = [Int](repeating: -1, count: program.count)
        func add(_ state: Int, _ generation: Int, to list: inout [Int]) {
            guard seen[state] != generation else { return }
            seen[state] = generation
            switch program[state] {
            case .split(let first, let second):
                add(first, generation, to: &list)
                add(second, generation, to: &list)
            case .jump(let target):
                add(target, generation, to: &list)
            default:
                list.append(state)
            }
        }
        add(0, 0, to: &current)
        for (position, character) in text.enumerated() {
            next.removeAll(keepingCapacity: true)
            for state in current {
                let advances: Bool
                switch program[state] {
                case .literal(let expected): advances = character == expected
                case .any(let crossesFolders): advances = crossesFolders || character != "/"
                case .set(let ranges, let negated):
                    advances = character != "/" && ranges.contains { $0.contains(character) } != negated
                case .split, .jump, .match: advances = false
                }
                if advances { add(state + 1, position + 1, to: &next) }
            }
            swap(&current, &next)
            if current.isEmpty { return false }
        }
        return current.contains { program[$0] == .match }
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
