/// The type of a column, decided once for the whole file, as pandas would for `read_csv`: the
/// narrowest type every non-empty value of the column fits.
public enum ColumnType: String, Sendable, Equatable, CustomStringConvertible {
    /// No non-empty value yet.
    case empty
    case integer
    case float
    case boolean
    /// An ISO 8601 date or date-time (spreadsheet dates).
    case date
    case string
    /// Every value as the legacy ETL sent it: the cell's text, whatever it looks like.
    case legacyText

    /// The type of one non-empty textual value. Numbers with leading zeros (`007`, postal codes)
    /// are text: reading them as numbers would lose the zeros.
    static func of<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ColumnType where Bytes.Index == Int {
        guard let first = bytes.first else { return .empty }
        switch first {
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return Cell.bool(from: bytes) != nil ? .boolean : .string
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return numberType(bytes)
        default:
            return .string
        }
    }

    private static func numberType<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ColumnType where Bytes.Index == Int {
        var index = bytes.startIndex
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        let digitsStart = index
        while index < bytes.endIndex, isDigit(bytes[index]) { index += 1 }
        let integerDigits = index - digitsStart
        if integerDigits > 1, bytes[digitsStart] == UInt8(ascii: "0") { return .string }
        if index == bytes.endIndex {
            return integerDigits > 0 && integerDigits <= 18 ? .integer : integerDigits > 0 ? .float : .string
        }
        var fractionDigits = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.endIndex, isDigit(bytes[index]) { index += 1 }
            fractionDigits = index - start
        }
        guard integerDigits + fractionDigits > 0 else { return .string }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            let start = index
            while index < bytes.endIndex, isDigit(bytes[index]) { index += 1 }
            if index == start { return .string }
        }
        return index == bytes.endIndex ? .float : .string
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The narrowest type that holds values of both types.
    func merged(with other: ColumnType) -> ColumnType {
        switch (self, other) {
        case (.legacyText, _), (_, .legacyText): return .legacyText
        case (.empty, _): return other
        case (_, .empty): return self
        case (let a, let b) where a == b: return a
        case (.integer, .float), (.float, .integer): return .float
        default: return .string
        }
    }

    public var description: String { rawValue }
}

/// One cell as read from a file.
public enum Cell: Sendable, Equatable {
    case empty
    /// Text as read (CSV fields, spreadsheet strings): a range of its row's bytes, in the file's
    /// encoding until decoded.
    case text(Range<Int>)
    /// A spreadsheet number, with its shortest text.
    case number(Double)
    case bool(Bool)
    /// A spreadsheet date, as ISO 8601.
    case date(String)

    static func bool<Bytes: Collection<UInt8>>(from bytes: Bytes) -> Bool? {
        func matches(_ word: StaticString) -> Bool {
            word.withUTF8Buffer { letters in zip(bytes, letters).allSatisfy { $0 | 0x20 == $1 } }
        }
        switch bytes.count {
        case 4: return matches("true") ? true : nil
        case 5: return matches("false") ? false : nil
        default: return nil
        }
    }

    /// This cell's contribution to its column's type (text cells are typed from their bytes).
    var type: ColumnType {
        switch self {
        case .empty: return .empty
        case .text: return .string
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? .integer : .float
        case .bool: return .boolean
        case .date: return .date
        }
    }
}
