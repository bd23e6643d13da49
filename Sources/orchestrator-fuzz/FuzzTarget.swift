import ETL
import Foundation
import Model
import YAML
import ZIPFoundation

/// One parser under fuzzing: it takes any bytes and must return, without crashing, within the
/// fuzzer's time and memory bounds. Errors are expected answers, never failures.
enum FuzzTarget: String, CaseIterable {
    case manifest
    case legacyConf = "legacy-conf"
    case glob, template, csv
    case xlsxSheet = "xlsx-sheet"

    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .manifest:
            let text = String(decoding: bytes, as: UTF8.self)
            for document in ManifestDocument.parse(text, file: "fuzz.yaml") {
                // What plan and validate do with a pipeline next.
                if let pipeline = document.pipeline { _ = try? ManifestText.write(pipeline) }
            }
        case .legacyConf:
            _ = LegacyConverter().convert(String(decoding: bytes, as: UTF8.self), file: "fuzz.conf")
        case .glob:
            // The first line is the pattern, every other line a path to match against it.
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, let glob = try? Glob(String(first)) else { return }
            for line in lines.dropFirst() { _ = glob.matches(String(line)) }
        case .template:
            // A template, then `name=value` lines for the references it may render.
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, let template = try? Template(String(first)) else { return }
            let values = Dictionary(
                lines.dropFirst().map { line in
                    (String(line.prefix { $0 != "=" }), String(line.drop { $0 != "=" }.dropFirst()))
                },
                uniquingKeysWith: { first, _ in first }
            )
            _ = template.render { values[$0.description] ?? "" }
        case .csv:
            Self.load(Data(bytes), named: "fuzz.csv")
        case .xlsxSheet:
            guard let workbook = try? Self.workbook(sheet: Data(bytes)) else { return }
            Self.load(workbook, named: "fuzz.xlsx")
        }
    }

    /// Loads a file through the default ETL into an NDJSON sink that discards what it gets: the
    /// reading, the typing of columns and the making of documents, as `default-etl` does them.
    private static func load(_ data: Data, named name: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "orchestrator-fuzz-\(getpid())-\(name)"
        ).path
        guard FileManager.default.createFile(atPath: path, contents: data) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            defer { done.signal() }
            guard let table = try? Tables.open(path) else { return }
            for typing in [ValueTyping.text, .infer] {
                guard let sink = try? NDJSONSink(path: "/dev/null") else { return }
                _ = try? await Loader(sink: sink).load(
                    table,
                    index: "fuzz",
                    sha256: String(repeating: "0", count: 64),
                    values: typing
                )
            }
        }
        // The fuzzer calls from its own thread, never from the cooperative pool: waiting is safe.
        done.wait()
    }

    /// A workbook around a sheet: one shared-strings part and a date style, so that every kind
    /// of cell the sheet may name can be reached.
    private static func workbook(sheet: Data) throws -> Data {
        let archive = try Archive(accessMode: .create)
        let parts: [(String, Data)] = [
            (
                "xl/workbook.xml",
                Data(
                    """
                    <workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="0"/>\
                    <sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>
                    """.utf8
                )
            ),
            (
                "xl/_rels/workbook.xml.rels",
                Data("<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>".utf8)
            ),
            (
                "xl/sharedStrings.xml",
                Data("<sst><si><t>NAME</t></si><si><t> x </t></si><si><r><t>a</t></r><r><t>b</t></r></si></sst>".utf8)
            ),
            (
                "xl/styles.xml",
                Data(
                    "<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/></numFmts><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/></cellXfs></styleSheet>"
                        .utf8
                )
            ),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        for (name, data) in parts {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let bytes = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return bytes
    }
}
