import Foundation
import Testing

@testable import ETL

func temporaryFile(_ bytes: [UInt8], suffix: String = ".csv") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("etl-\(UUID().uuidString)\(suffix)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func records(_ text: String, delimiter: Character = ",") throws -> [[String]] {
    let path = try temporaryFile(Array(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = CSVReader(path: path, delimiter: delimiter.asciiValue!)
    var rows: [[String]] = []
    while let record = try reader.next() {
        rows.append((0..<record.count).map { String(decoding: record.field($0), as: UTF8.self) })
    }
    return rows
}

@Suite("CSV reading")
struct CSVReaderTests {
    @Test func quotingNewlinesAndDoubledQuotes() throws {
        #expect(
            try records("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",2\n") == [
                ["a", "b"], ["x, y", "say \"hi\""], ["multi\nline", "2"],
            ]
        )
    }

    @Test func lineEndsBOMAndBlankLines() throws {
        #expect(try records("\u{FEFF}a;b\r\n1;2\r\n\r\n3;4") == [["a;b"], ["1;2"], ["3;4"]])
        #expect(
            try records("\u{FEFF}a;b\r\n1;2\r\n\r\n3;4", delimiter: ";") == [["a", "b"], ["1", "2"], ["3", "4"]]
        )
        #expect(try records("a,b\r1,2\r") == [["a", "b"], ["1", "2"]])
        #expect(try records("a,,c\n,\n") == [["a", "", "c"], ["", ""]])
        #expect(
            try records("a,b\n   \n\t\n1, 2\n") == [["a", "b"], ["1", " 2"]],
            "lines of whitespace are blank, as for pandas"
        )
    }

    @Test func recordsKnowTheirLine() throws {
        let path = try temporaryFile(Array("h\n\"two\nlines\"\nthird\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = CSVReader(path: path, delimiter: UInt8(ascii: ","))
        var lines: [Int] = []
        while let record = try reader.next() { lines.append(record.line) }
        #expect(lines == [1, 2, 4])
    }

    @Test func anUnclosedQuoteIsAnErrorWithItsLine() throws {
        let path = try temporaryFile(Array("a\n1\n\"open\n2\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = CSVReader(path: path, delimiter: UInt8(ascii: ","))
        #expect(throws: ETLError.input("\(path):3: a quoted field is not closed before the end of the file")) {
            while try reader.next() != nil {}
        }
    }

    @Test(arguments: [
        ("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2,5;3\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b\n1|2\n", "|"),
        ("name;note\n\"x, y\";\"a, b, c\"\n", ";"),
    ])
    func sniffsTheDelimiter(_ sample: String, _ expected: Character) {
        #expect(CSVReader.sniffDelimiter(in: Array(sample.utf8)) == expected.asciiValue)
    }
}

@Suite("Typing")
struct TypingTests {
    @Test(arguments: [
        ("42", ColumnType.integer), ("-7", .integer), ("+3", .integer), ("0", .integer), ("007", .string),
        ("1.5", .float),
        ("-0.5", .float), ("1e3", .float), (".5", .float), ("1.", .float), ("0.25", .float), ("true", .boolean),
        ("FALSE", .boolean),
        ("yes", .string), ("12,5", .string), ("1-2", .string), ("2024-03-01", .string),
        ("99999999999999999999", .float),
    ])
    func valueTypes(_ text: String, _ expected: ColumnType) {
        #expect(ColumnType.of(Array(text.utf8)[...]) == expected)
    }

    @Test func columnsWidenConsistently() {
        #expect(ColumnType.integer.merged(with: .float) == .float)
        #expect(ColumnType.empty.merged(with: .boolean) == .boolean)
        #expect(ColumnType.integer.merged(with: .boolean) == .string)
        #expect(ColumnType.date.merged(with: .integer) == .string)
    }

    @Test func windows1252Decoding() {
        let bytes: [UInt8] = [0x43, 0x68, 0x6C, 0x6F, 0xE9, 0x20, 0x80, 0x92]
        #expect(!TextEncoding.isValidUTF8(bytes[...]))
        #expect(String(decoding: TextEncoding.windows1252.utf8(bytes[...]), as: UTF8.self) == "Chloé €’")
    }

    @Test func headerNamesLikePandasThenPypel() {
        let header = TableRow(
            line: 1,
            bytes: Array(" id xx".utf8),
            cells: [.text(0..<4), .empty, .text(4..<5), .text(5..<6), .number(2024)]
        )
        let names = FieldNames.pandas(Loader.headerTexts(header).map { String(decoding: $0, as: UTF8.self) })
        #expect(names == [" id ", "Unnamed: 1", "x", "x.1", "2024"])
        #expect(FieldNames.pandas(["a", "a", "a.1", "", "a"]) == ["a", "a.1", "a.1.1", "Unnamed: 3", "a.2"])
        #expect(FieldNames(header: names).fields.map(\.name) == ["ID", "UNNAMED: 1", "X", "X.1", "2024"])
        #expect(FieldNames(header: ["Straße", " é ", "ǅ"]).fields.map(\.name) == ["STRASSE", "É", "Ǆ"])
        let collided = FieldNames(header: ["code", "nom", "Code "])
        #expect(collided.fields.map(\.name) == ["CODE", "NOM"])
        #expect(
            collided.fields.map(\.column) == [2, 1],
            "the first place, the last column's value, as pandas' to_dict"
        )
    }

    @Test func spreadsheetValuesAsPythonTextsThem() {
        #expect(PythonText.number(1500) == "1500")
        #expect(PythonText.number(-0.0) == "0")
        #expect(PythonText.number(12.5) == "12.5")
        #expect(PythonText.number(0.1 + 0.2) == "0.30000000000000004")
        #expect(PythonText.number(0.00001) == "1e-05")
        #expect(PythonText.number(1e20) == "100000000000000000000")
        #expect(PythonText.number(-2.0e19) == "-20000000000000000000")
        #expect(PythonText.date("2024-01-31") == "2024-01-31 00:00:00")
        #expect(PythonText.date("2024-01-31T14:30:00") == "2024-01-31 14:30:00")
        #expect(PythonText.bool(true) == "True")
    }

    @Test func floatColumnsAlwaysLookLikeFloats() {
        var writer = JSONWriter()
        let row = Array("7 12.5 1e3 +2 .5".utf8)
        row.withUnsafeBufferPointer { buffer in
            for range in [0..<1, 2..<6, 7..<10, 11..<13, 14..<16] {
                Loader.write(.text(range), in: buffer, as: .float, encoding: .utf8, into: &writer)
                writer.raw(" ")
            }
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "7.0 12.5 1e3 2.0 0.5 ")
    }

    @Test func documentIDsAreDeterministicAndDistinct() {
        let sha = String(repeating: "a", count: 64)
        #expect(Loader.documentID(sha: sha, row: 1) == Loader.documentID(sha: sha, row: 1))
        #expect(Loader.documentID(sha: sha, row: 1) != Loader.documentID(sha: sha, row: 2))
        #expect(Loader.documentID(sha: sha, row: 1) == String(repeating: "a", count: 32) + "-1")
        #expect(Loader.documentID(sha: sha, row: 1_234_567) == String(repeating: "a", count: 32) + "-1234567")
    }

    @Test func excelDates() {
        #expect(XLSXTable.isoDate(45352, date1904: false) == "2024-03-01")
        #expect(XLSXTable.isoDate(45353.5729166667, date1904: false) == "2024-03-02T13:45:00")
        #expect(
            XLSXTable.isoDate(0.6041666666666666, date1904: false) == "14:30:00",
            "a time of day alone, as openpyxl reads it"
        )
        #expect(XLSXTable.isoDate(45322.604166678, date1904: false) == "2024-01-31T14:30:00.001000")
        #expect(XLSXTable.isoDate(59, date1904: false) == "1900-02-28")
        #expect(XLSXTable.isoDate(61, date1904: false) == "1900-03-01")
        #expect(XLSXTable.isoDate(1, date1904: true) == "1904-01-02")
        #expect(XLSXTable.isDateFormat("dd/mm/yyyy"))
        #expect(XLSXTable.isDateFormat("[$-409]h:mm AM/PM"))
        #expect(!XLSXTable.isDateFormat("0.00\\ \"days\""))
        #expect(!XLSXTable.isDateFormat("#,##0.00 [$€-40C]"))
    }
}

@Suite("UTF-8 validation in chunks")
struct UTF8ValidatorTests {
    @Test func sequencesSplitBetweenChunksAndInvalidBytes() {
        let text = Array("Chloé → 🚀 ok".utf8)
        for split in 0...text.count {
            var validator = UTF8Validator()
            let first = validator.add(Data(text[..<split])), second = validator.add(Data(text[split...]))
            #expect(first && second && validator.finish(), "split at \(split)")
        }
        var truncated = UTF8Validator()
        let cutOff = truncated.add(Data(Array("é".utf8).prefix(1)))
        #expect(cutOff && !truncated.finish(), "a sequence cut by the end of the file")
        var latin1 = UTF8Validator()
        let valid = latin1.add(Data([0x43, 0x68, 0x6C, 0x6F, 0xE9, 0x20, 0x80]))
        #expect(!valid)
    }
}
