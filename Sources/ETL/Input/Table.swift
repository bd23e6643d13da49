/// One row of a table: where it is in the file, and its cells in column order. Text cells are
/// ranges of `bytes`, so a row costs one buffer, not one allocation per cell.
public struct TableRow {
    /// The line (CSV) or row number (spreadsheet) where the row starts, for messages.
    public var line: Int
    public var bytes: [UInt8]
    public var cells: [Cell]

    public init(line: Int, bytes: [UInt8] = [], cells: [Cell]) {
        self.line = line
        self.bytes = bytes
        self.cells = cells
    }

    /// The bytes of a text cell.
    public func text(_ range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

}

/// A table read row by row, in constant memory; opened twice by the loader (once to type the
/// columns, once to load).
public protocol TableCursor: AnyObject {
    /// The next row, or `nil` at the end.
    func next() throws -> TableRow?
    /// How many bytes of the file were read so far, when the reader knows it.
    var bytesRead: Int64? { get }
}

extension TableCursor {
    public var bytesRead: Int64? { nil }
}

/// A file that can be read as a table.
public protocol TableFile {
    var path: String { get }
    /// What the reader found out about the file, for the summary (delimiter, sheet…).
    var details: String { get }
    /// Whether a row may be wider than the header, its extra cells forming unnamed columns (a
    /// spreadsheet), rather than being a malformed row (a CSV file).
    var widensHeader: Bool { get }
    func open() throws -> any TableCursor
}

/// A CSV file as a table.
public struct CSVTable: TableFile {
    public let path: String
    public let delimiter: UInt8

    public init(path: String) throws(ETLError) {
        self.path = path
        delimiter = try CSVReader.sniffDelimiter(path: path)
    }

    public var details: String {
        "delimiter " + (delimiter == UInt8(ascii: "\t") ? "tab" : "'\(Character(Unicode.Scalar(delimiter)))'")
    }

    public var widensHeader: Bool { false }

    public func open() throws -> any TableCursor { CSVCursor(CSVReader(path: path, delimiter: delimiter)) }
}

final class CSVCursor: TableCursor {
    private let reader: CSVReader
    init(_ reader: CSVReader) { self.reader = reader }

    var bytesRead: Int64? { reader.bytesRead }

    func next() throws -> TableRow? {
        guard let record = try reader.next() else { return nil }
        var cells: [Cell] = []
        cells.reserveCapacity(record.count)
        var start = 0
        for end in record.ends {
            cells.append(start == end ? .empty : .text(start..<end))
            start = end
        }
        return TableRow(line: record.line, bytes: record.bytes, cells: cells)
    }
}
