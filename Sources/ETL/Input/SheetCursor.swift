import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Rows of a sheet, parsed on a thread of their own and handed over through a bounded buffer:
/// the XML parser pushes, the loader pulls, and at most `capacity` rows are in memory.
final class SheetCursor: TableCursor, @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [TableRow] = []
    private var done = false
    private var failure: (any Error)?
    private var stopped = false
    private let file: URL
    static let capacity = 1000

    init(file: URL, table: XLSXTable) {
        self.file = file
        let reader = SheetReader(table: table) { [weak self] row in self?.put(row) ?? false }
        let thread = Thread { [self] in
            let parser = InputStream(url: file).map { XMLParser(stream: $0) }
            parser?.delegate = reader
            let parsed = parser?.parse() ?? false
            condition.lock()
            if let problem = reader.problem {
                failure = ETLError.input("\(table.path): \(problem)")
            } else if !parsed, !stopped {
                failure = ETLError.input(
                    "\(table.path): the sheet is not valid XML: \(parser?.parserError.map { "\($0)" } ?? "cannot read it")"
                )
            }
            done = true
            condition.broadcast()
            condition.unlock()
            try? FileManager.default.removeItem(at: file)
        }
        thread.start()
    }

    deinit { stop() }

    /// Called by the parser's thread; returns false when the reader should stop.
    private func put(_ row: TableRow) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while buffer.count >= SheetCursor.capacity && !stopped { condition.wait() }
        if stopped { return false }
        buffer.append(row)
        condition.broadcast()
        return true
    }

    func next() throws -> TableRow? {
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty && !done { condition.wait() }
        if let failure { throw failure }
        guard !buffer.isEmpty else { return nil }
        let row = buffer.removeFirst()
        condition.broadcast()
        return row
    }

    private func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The SAX side of a sheet: `<row r>` of `<c r t s>` with `<v>` or `<is><t>`.
final class SheetReader: NSObject, XMLParserDelegate, @unchecked Sendable {
    private let table: XLSXTable
    private let emit: @Sendable (TableRow) -> Bool
    private var row: [Cell] = []
    private var rowBytes: [UInt8] = []
    private var rowNumber = 0
    /// The number of the last row handed over. Empty or missing rows after it are handed over,
    /// as empty rows, only once a row with data follows: openpyxl gives pandas one row per sheet
    /// row between data rows, and pandas drops the trailing ones.
    private var emittedRow = 0
    private var started = false
    private var column = 0
    private var type = ""
    private var style = 0
    private var text: [UInt8] = []
    private var collecting = false
    private var inInline = false
    /// Why the sheet was refused: a reference beyond Excel's grid (column XFD, row 1,048,576),
    /// which a hostile file could use to make millions of empty cells or rows.
    private(set) var problem: String?

    /// Excel's grid: the most columns and rows a sheet can have.
    static let maxColumns = 16_384
    static let maxRows = 1_048_576

    init(table: XLSXTable, emit: @escaping @Sendable (TableRow) -> Bool) {
        self.table = table
        self.emit = emit
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(elementName) {
        case "row":
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            row = []
            rowBytes = []
            if !(1...SheetReader.maxRows).contains(rowNumber) {
                refuse(
                    "row \(attributes["r"] ?? String(rowNumber)) is outside Excel's rows 1 to \(SheetReader.maxRows)",
                    parser
                )
            }
        case "c":
            // A reference without a column letter (`r="5"`) is taken as the next cell.
            column = attributes["r"].map(SheetReader.columnIndex).flatMap { $0 >= 0 ? $0 : nil } ?? row.count
            if column >= SheetReader.maxColumns {
                refuse("cell \(attributes["r"] ?? "?") is beyond Excel's last column, XFD", parser)
            }
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap(Int.init) ?? 0
            text = []
        case "v":
            collecting = true
        case "is":
            inInline = true
        case "t" where inInline:
            collecting = true
        default:
            break
        }
    }

    private func refuse(_ problem: String, _ parser: XMLParser) {
        self.problem = problem
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { text += Array(string.utf8) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        switch local(elementName) {
        case "v", "t":
            collecting = false
        case "is":
            inInline = false
        case "c":
            while row.count < column { row.append(.empty) }
            let cell = self.cell()
            if column < row.count { row[column] = cell } else { row.append(cell) }
        case "row":
            while let last = row.last, last == .empty { row.removeLast() }
            guard !row.isEmpty else { break }
            if started {
                for empty in emittedRow + 1..<max(emittedRow + 1, rowNumber)
                where !emit(TableRow(line: empty, cells: [])) {
                    parser.abortParsing()
                    return
                }
            }
            started = true
            emittedRow = rowNumber
            if !emit(TableRow(line: rowNumber, bytes: rowBytes, cells: row)) { parser.abortParsing() }
        default:
            break
        }
    }

    private func cell() -> Cell {
        guard !text.isEmpty else { return .empty }
        switch type {
        case "s":
            guard let index = Int(String(decoding: text, as: UTF8.self)), table.sharedStrings.indices.contains(index)
            else { return .empty }
            let string = table.sharedStrings[index]
            return string.isEmpty ? .empty : keep(string)
        case "inlineStr", "str":
            return keep(text)
        case "e":
            // An error value (#DIV/0!, #N/A): no data, as openpyxl gives pandas NaN.
            return .empty
        case "b":
            return .bool(text == [UInt8(ascii: "1")])
        case "d":
            return .date(String(decoding: text, as: UTF8.self))
        default:
            guard let value = Double(String(decoding: text, as: UTF8.self)) else { return keep(text) }
            // Excel's dates end on 9999-12-31 (serial 2,958,465); outside, the number stays a number.
            let isDate = table.dateStyles.contains(style) && value >= 0 && value < 2_958_466
            return isDate ? .date(XLSXTable.isoDate(value, date1904: table.date1904)) : .number(value)
        }
    }

    /// A text cell: its bytes appended to the row's buffer.
    private func keep(_ bytes: [UInt8]) -> Cell {
        let start = rowBytes.count
        rowBytes += bytes
        return .text(start..<rowBytes.count)
    }

    /// `AB12` → 27 (columns from 0); `maxColumns` or more for a reference past column XFD,
    /// however many letters it has.
    static func columnIndex(_ reference: String) -> Int {
        var index = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65 && scalar.value <= 90 else { break }
            index = min(index * 26 + Int(scalar.value - 64), maxColumns + 1)
        }
        return index - 1
    }
}
