import Foundation
import Testing
import ZIPFoundation

@testable import ETL

/// Sheets a fuzzer (or an attacker) writes: each used to trap or to make millions of cells;
/// each now reads, or is refused with the reason.
@Suite("Hostile sheets")
struct HostileSheetTests {
    /// A workbook whose one sheet is `sheet`, with two shared strings and a date style (1).
    private func workbook(_ sheet: String) throws -> String {
        try workbook(Data("<worksheet><sheetData>\(sheet)</sheetData></worksheet>".utf8))
    }

    private func workbook(_ sheet: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).xlsx")
        let archive = try Archive(url: path, accessMode: .create)
        let parts =
            [
                (
                    "xl/workbook.xml",
                    #"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
                (
                    "xl/_rels/workbook.xml.rels",
                    #"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#
                ),
                ("xl/sharedStrings.xml", "<sst><si><t>A</t></si><si><t>B</t></si></sst>"),
                (
                    "xl/styles.xml",
                    #"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#
                ),
            ].map { ($0.0, Data($0.1.utf8)) } + [("xl/worksheets/sheet1.xml", sheet)]
        for (name, data) in parts {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return path.path
    }

    private func rows(_ sheet: String) throws -> [[Cell]] {
        let path = try workbook(sheet)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cursor = try Tables.open(path).open()
        var rows: [[Cell]] = []
        while let row = try cursor.next() { rows.append(row.cells) }
        return rows
    }

    @Test func badIndexesAndValuesAreReadNotTrapped() throws {
        let sheet = """
            <row r="1"><c r="A1" t="s"><v>-1</v></c><c r="B1" t="s"><v>1</v></c><c r="5"><v>7</v></c></row>\
            <row r="2"><c r="A2" s="1"><v>1e308</v></c><c r="B2" s="1"><v>nan</v></c><c r="C2" s="1"><v>-inf</v></c><c r="D2" s="1"><v>31</v></c></row>
            """
        let read = try rows(sheet)
        #expect(read.count == 2)
        #expect(read[0].count == 3 && read[0][0] == .empty && read[0][2] == .number(7))
        #expect(read[1][0] == .number(1e308) && read[1][2] == .number(-.infinity) && read[1][3] == .date("1900-01-31"))
        guard case .number(let nan) = read[1][1] else {
            Issue.record("expected a number")
            return
        }
        #expect(nan.isNaN)
    }

    @Test(arguments: [
        (
            #"<row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ1"><v>1</v></c></row>"#,
            "cell ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ1 is beyond Excel's last column, XFD"
        ),
        (#"<row r="1"><c r="XFE1"><v>1</v></c></row>"#, "cell XFE1 is beyond Excel's last column, XFD"),
        (
            #"<row r="1"><c r="A1"><v>1</v></c></row><row r="99999999999"><c><v>2</v></c></row>"#,
            "row 99999999999 is outside Excel's rows 1 to 1048576"
        ),
        (#"<row r="0"><c><v>2</v></c></row>"#, "row 0 is outside Excel's rows 1 to 1048576"),
    ])
    func referencesOutsideTheGridAreRefused(_ sheet: String, _ problem: String) throws {
        do {
            _ = try rows(sheet)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasSuffix(": \(problem)"), "\(error)")
        }
    }

    @Test func theLastColumnAndRowAreFine() throws {
        let read = try rows(#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#)
        #expect(read.count == 1 && read[0].count == 16_384 && read[0].last == .number(1))
    }

    /// Found by `scripts/fuzz.sh xlsx-sheet`: Foundation's XMLParser traps on an element name
    /// with invalid UTF-8. The sheet is checked first (in chunks; the bytes straddle none here).
    @Test func aSheetThatIsNotUTF8IsRefused() throws {
        let path = try workbook(
            Data("<worksheet><sheetData><row><c><f".utf8) + Data([0xFF, 0xFF])
                + Data("/></c></row></sheetData></worksheet>".utf8)
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ETLError.self) { _ = try Tables.open(path).open() }
        do { _ = try Tables.open(path).open() } catch {
            #expect("\(error)".hasSuffix("the sheet is not valid UTF-8 XML (a damaged file?)"), "\(error)")
        }
    }

    @Test func utf8IsCheckedAcrossChunkBoundaries() throws {
        // "é" (C3 A9) split across the 1 MiB chunk boundary is fine; a lone C3 at the end is not.
        let valid = [UInt8](repeating: 0x61, count: (1 << 20) - 1) + [0xC3, 0xA9]
        let truncated = [UInt8](repeating: 0x61, count: 10) + [0xC3]
        for (bytes, expected) in [(valid, true), (truncated, false)] {
            let path = try temporaryFile(bytes, suffix: ".xml")
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(UTF8Check.file(path) == expected)
        }
    }
}
