import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An Excel (.xlsx) workbook's first sheet as a table.
///
/// The sheet is found through `xl/workbook.xml` and its relationships; shared strings, inline
/// strings, numbers, booleans and dates (from the cells' number formats) are read. The sheet's
/// XML is streamed (extracted to a temporary file and parsed as it is read), so memory grows
/// with the shared strings, not with the rows.
public struct XLSXTable: TableFile, Sendable {
    public let path: String
    let sheetName: String
    let sheetEntry: String
    let sharedStrings: [[UInt8]]
    let dateStyles: Set<Int>
    let date1904: Bool

    public var details: String { "sheet \"\(sheetName)\"" }

    public var widensHeader: Bool { true }

    public init(path: String) throws(ETLError) {
        self.path = path
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw .input("\(path): not a readable .xlsx (zip) file: \(error)")
        }
        let workbook = try XLSXTable.xml(archive, "xl/workbook.xml", path)
        guard let sheet = workbook.elements("sheet").first, let relation = sheet["r:id"] ?? sheet["id"] else {
            throw .input("\(path): the workbook has no sheet")
        }
        let relations = try XLSXTable.xml(archive, "xl/_rels/workbook.xml.rels", path)
        guard let target = relations.elements("Relationship").first(where: { $0["Id"] == relation })?["Target"] else {
            throw .input("\(path): sheet \(sheet["name"] ?? "?") has no part in the workbook's relationships")
        }
        sheetName = sheet["name"] ?? "Sheet1"
        sheetEntry = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        date1904 = workbook.elements("workbookPr").first?["date1904"].map { $0 == "1" || $0 == "true" } ?? false
        sharedStrings = try XLSXTable.sharedStrings(archive, path)
        dateStyles =
            archive["xl/styles.xml"] == nil
            ? [] : XLSXTable.dateStyles(try XLSXTable.xml(archive, "xl/styles.xml", path))
        guard archive[sheetEntry] != nil else { throw .input("\(path): the sheet's part \(sheetEntry) is missing") }
    }

    public func open() throws -> any TableCursor {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        guard let entry = archive[sheetEntry] else {
            throw ETLError.input("\(path): the sheet's part \(sheetEntry) is missing")
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
            "default-etl-\(UUID().uuidString).xml"
        )
        do { _ = try archive.extract(entry, to: temporary) } catch {
            throw ETLError.input("\(path): the sheet cannot be extracted (broken zip?): \(error)")
        }
        guard UTF8Check.file(temporary.path) else {
            try? FileManager.default.removeItem(at: temporary)
            throw ETLError.input("\(path): the sheet is not valid UTF-8 XML (a damaged file?)")
        }
        return SheetCursor(file: temporary, table: self)
    }

    // MARK: Parts

    /// A small XML part, parsed whole into its elements' attributes (workbook, relationships, styles).
    static func xml(_ archive: Archive, _ name: String, _ path: String) throws(ETLError) -> ElementList {
        let list = ElementList()
        try parse(archive, name, path, with: list)
        return list
    }

    static func sharedStrings(_ archive: Archive, _ path: String) throws(ETLError) -> [[UInt8]] {
        guard archive["xl/sharedStrings.xml"] != nil else { return [] }
        let reader = SharedStringsReader()
        try parse(archive, "xl/sharedStrings.xml", path, with: reader)
        return reader.strings
    }

    /// Extracts a part and runs `delegate` over it.
    private static func parse(
        _ archive: Archive,
        _ name: String,
        _ path: String,
        with delegate: any XMLParserDelegate
    ) throws(ETLError) {
        guard let entry = archive[name] else {
            throw .input("\(path): \(name) is missing; is it really an .xlsx file?")
        }
        var data = Data()
        do { _ = try archive.extract(entry) { data.append($0) } } catch {
            throw .input("\(path): \(name) cannot be extracted (broken zip?): \(error)")
        }
        guard UTF8Check.data(data) else { throw .input("\(path): \(name) is not valid UTF-8 XML (a damaged file?)") }
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw .input("\(path): \(name) is not valid XML: \(parser.parserError.map { "\($0)" } ?? "")")
        }
    }

    /// The indices of the cell styles whose number format is a date or a time.
    static func dateStyles(_ styles: ElementList) -> Set<Int> {
        var custom: [Int: String] = [:]
        for format in styles.elements("numFmt") {
            if let id = format["numFmtId"].flatMap(Int.init), let code = format["formatCode"] { custom[id] = code }
        }
        var result: Set<Int> = []
        for (index, style) in styles.elements("xf", inside: "cellXfs").enumerated() {
            guard let id = style["numFmtId"].flatMap(Int.init) else { continue }
            if (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id)
                || custom[id].map(isDateFormat) == true
            {
                result.insert(index)
            }
        }
        return result
    }

    /// Whether a number format shows a date or time: it has d, m, y, h or s outside quoted text,
    /// brackets and escapes.
    static func isDateFormat(_ code: String) -> Bool {
        var inQuotes = false, inBrackets = false, escaped = false
        for character in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case "\"": inQuotes.toggle()
            case "[": inBrackets = true
            case "]": inBrackets = false
            case "d", "m", "y", "h", "s": if !inQuotes && !inBrackets { return true }
            default: break
            }
        }
        return false
    }

    /// An Excel serial date as ISO 8601, read the way openpyxl reads it (so that the legacy
    /// ETL's text of it can be derived): the time of day rounded to the millisecond; a serial
    /// below 1 is a time of day alone (`14:30:00`); in the 1900 system, serials below 60 are
    /// shifted by Excel's phantom 29 February 1900. A date without a time of day is `2024-01-31`.
    static func isoDate(_ serial: Double, date1904: Bool) -> String {
        let whole = serial.rounded(.down)
        let milliseconds = Int64(((serial - whole) * 86_400_000).rounded(.toNearestOrEven))
        var day = Int64(whole) + milliseconds / 86_400_000
        let time = milliseconds % 86_400_000
        func clock() -> String {
            let text = String(format: "%02lld:%02lld:%02lld", time / 3_600_000, time / 60_000 % 60, time / 1000 % 60)
            return time % 1000 == 0 ? text : text + String(format: ".%06lld", time % 1000 * 1000)
        }
        if serial >= 0, serial < 1, day == 0 { return clock() }
        if !date1904, serial > 0, serial < 60 { day += 1 }
        let (year, month, date) = civil(fromDaysSince1970: day + (date1904 ? -24_107 : -25_569))
        let text = String(format: "%04lld-%02lld-%02lld", year, month, date)
        return time == 0 ? text : text + "T" + clock()
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDaysSince1970 days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let date = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, date)
    }
}

/// The attributes of every element of a small XML part, with its parent's name.
final class ElementList: NSObject, XMLParserDelegate {
    private var items: [(name: String, parent: String, attributes: [String: String])] = []
    private var stack: [String] = []

    func elements(_ name: String, inside parent: String? = nil) -> [[String: String]] {
        items.filter { $0.name == name && (parent == nil || $0.parent == parent) }.map(\.attributes)
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        items.append((local(elementName), stack.last ?? "", attributes))
        stack.append(local(elementName))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }
}

/// `xl/sharedStrings.xml`: each `<si>` is the text of its `<t>` elements (rich text runs
/// joined), phonetic guides (`<rPh>`) left out.
final class SharedStringsReader: NSObject, XMLParserDelegate {
    var strings: [[UInt8]] = []
    private var current: [UInt8] = []
    private var inText = false
    private var inPhonetic = false

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch local(elementName) {
        case "si": current = []
        case "t": inText = !inPhonetic
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += Array(string.utf8) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        switch local(elementName) {
        case "si": strings.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// The element name without its namespace prefix.
func local(_ name: String) -> String {
    name.split(separator: ":").last.map(String.init) ?? name
}
