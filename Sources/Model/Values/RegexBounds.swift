/// What `regcomp` is not given: patterns whose compilation can take gigabytes.
///
/// glibc's `regcomp` copies a repeated subexpression once per repetition (`(a{100}){100}` is ten
/// thousand copies) and handles a repetition of a repetition (`c++++`, which POSIX leaves
/// undefined) with a blow-up that `scripts/fuzz.sh manifest` drove past 2 GiB with 88 `+`. A
/// watch regex needs neither, so both are refused with a reason before compiling.
enum RegexBounds {
    /// The longest pattern accepted.
    static let maxLength = 1024
    /// The most atoms a pattern may expand to once its repetitions are copied.
    static let maxExpandedSize = 10_000

    /// Why `pattern` is refused, or `nil`.
    static func problem(in pattern: String) -> String? {
        let characters = Array(pattern)
        guard characters.count <= maxLength else { return "longer than \(maxLength) characters" }
        var groups: [Int] = [0]
        var lastAtom = 0
        var afterRepetition = false
        var index = 0
        func add(_ size: Int) {
            groups[groups.count - 1] += size
            lastAtom = size
        }
        while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case "\\":
                index += 1
                add(1)
                afterRepetition = false
            case "[":
                // A bracket expression is one atom: skip to its closing `]` (a leading `]` or `^]` is literal).
                if index < characters.count, characters[index] == "^" { index += 1 }
                if index < characters.count, characters[index] == "]" { index += 1 }
                while index < characters.count, characters[index] != "]" {
                    if characters[index] == "[", index + 1 < characters.count, ":=.".contains(characters[index + 1]) {
                        let close = characters[index + 1]
                        index += 2
                        while index + 1 < characters.count,
                            !(characters[index] == close && characters[index + 1] == "]")
                        { index += 1 }
                        index += 1
                    }
                    index += 1
                }
                index += 1
                add(1)
                afterRepetition = false
            case "(":
                groups.append(0)
                afterRepetition = false
            case ")":
                let size = groups.count > 1 ? groups.removeLast() : 0
                add(max(size, 1))
                afterRepetition = false
            case "*", "+", "?", "{":
                if afterRepetition {
                    return "\"\(character)\" repeats a repetition, which POSIX leaves undefined; write one repetition"
                }
                var times = character == "+" ? 2 : 1
                if character == "{" {
                    var bound = ""
                    while index < characters.count, characters[index] != "}" {
                        bound.append(characters[index])
                        index += 1
                    }
                    index += 1
                    // `{2,}` has an empty bound; a number too large for Int counts as the largest.
                    let numbers = bound.split(separator: ",").map { Int($0) ?? Int.max }
                    let largest = numbers.max() ?? 0
                    times = largest == Int.max ? largest : largest + 1
                }
                let grown = lastAtom.multipliedReportingOverflow(by: times)
                guard !grown.overflow, grown.partialValue <= maxExpandedSize else {
                    return "its repetitions expand to more than \(maxExpandedSize) atoms"
                }
                groups[groups.count - 1] += grown.partialValue - lastAtom
                lastAtom = grown.partialValue
                afterRepetition = true
            case "|":
                afterRepetition = false
            default:
                add(1)
                afterRepetition = false
            }
            if groups.reduce(0, +) > maxExpandedSize {
                return "its repetitions expand to more than \(maxExpandedSize) atoms"
            }
        }
        return nil
    }
}
