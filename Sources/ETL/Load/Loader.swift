import Crypto
import Foundation

/// What loading one file did.
public struct FileSummary: Sendable {
    public var file: String
    public var index: String
    public var rows = 0
    public var loaded = 0
    public var failed = 0
    public var encoding = TextEncoding.utf8
    public var details = ""
    public var columns: [(name: String, type: ColumnType)] = []
    /// Problems worth a line each (the first few): ragged rows, rejected documents.
    public var problems: [String] = []

    public var succeeded: Bool { failed == 0 && problems.isEmpty }

    /// `data.csv: 1200 rows → pypel-default: 1200 loaded, 0 failed (UTF-8, delimiter ';')`.
    public var line: String {
        "\(file): \(rows) rows → \(index): \(loaded) loaded, \(failed) failed (\(encoding.rawValue), \(details))"
    }
}

/// How far the load of one file got: the first pass counts and types the rows, the second
/// sends them.
public struct LoadProgress: Sendable {
    public enum Phase: Sendable { case reading, loading }
    public var file: String
    public var phase: Phase
    /// Rows read (first pass) or sent (second pass) so far.
    public var rows: Int
    /// The file's row count, known in the second pass.
    public var totalRows: Int?
    /// Bytes of the file read so far, when the rows are not counted beforehand.
    public var bytesRead: Int64?
    public var fileBytes: Int64?

    public init(
        file: String,
        phase: Phase,
        rows: Int,
        totalRows: Int? = nil,
        bytesRead: Int64? = nil,
        fileBytes: Int64? = nil
    ) {
        self.file = file
        self.phase = phase
        self.rows = rows
        self.totalRows = totalRows
        self.bytesRead = bytesRead
        self.fileBytes = fileBytes
    }
}

/// Loads one table into an index: a first pass decides each column's type (and the text
/// encoding), a second builds the documents and sends them in bounded batches.
public struct Loader: Sendable {
    public var sink: any BulkSink
    public var maxDocuments: Int
    public var maxBytes: Int
    /// Called every few thousand rows, for people watching a long load.
    public var progress: (@Sendable (LoadProgress) -> Void)?
    public static let reportedProblems = 5
    static let progressEvery = 8192

    public init(
        sink: any BulkSink,
        maxDocuments: Int = 5000,
        maxBytes: Int = 8 << 20,
        progress: (@Sendable (LoadProgress) -> Void)? = nil
    ) {
        self.sink = sink
        self.maxDocuments = maxDocuments
        self.maxBytes = maxBytes
        self.progress = progress
    }

    /// Loads `table` into `index`. With `.text` (the default), every value is the cell's text,
    /// as the legacy ETL sent it; with `.infer`, each column gets the narrowest JSON type of its values.
    ///
    /// A CSV file loaded as text is read once: its content hash and its encoding come from one
    /// read of its bytes on another thread, and malformed rows are found while loading. Typing
    /// (`.infer`) and spreadsheets (whose widest row names columns) take a first pass over the rows.
    public func load(
        _ table: any TableFile,
        index: String,
        sha256 knownSHA: String? = nil,
        values: ValueTyping = .text
    ) async throws -> FileSummary {
        let name = (table.path as NSString).lastPathComponent
        var summary = FileSummary(file: name, index: index, details: table.details)
        let path = table.path
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
        let singlePass = values == .text && !table.widensHeader
        let digesting = Task.detached { try Loader.digest(of: path, knownSHA: knownSHA, validatingUTF8: singlePass) }

        let cursor = try table.open()
        guard let header = try cursor.next() else {
            digesting.cancel()
            summary.problems.append("\(name): the file is empty")
            return summary
        }
        var shape = Shape(header: Loader.headerTexts(header), values: values)
        if !singlePass {
            while let row = try cursor.next() {
                summary.rows += 1
                if summary.rows % Loader.progressEvery == 0 {
                    progress?(LoadProgress(file: name, phase: .reading, rows: summary.rows, fileBytes: fileBytes))
                }
                shape.add(row, widening: table.widensHeader, summary: &summary)
            }
        }
        let digest = try await digesting.value
        summary.encoding = (singlePass ? digest.isUTF8 : shape.isUTF8) ? .utf8 : .windows1252
        let fields = FieldNames(
            header: FieldNames.pandas(shape.header.map { String(decoding: summary.encoding.utf8($0), as: UTF8.self) })
        )
        let types = shape.types.map { $0 == .empty ? .string : $0 }
        summary.columns = fields.fields.map { ($0.name, types[$0.column]) }
        summary.failed = shape.skipped.count
        // A sheet of one column has no empty rows: pandas takes a row of one empty cell for a blank line.
        let skipsEmptyRows = fields.fields.count <= 1
        if skipsEmptyRows { summary.rows -= shape.emptyRows }

        // Documents, in batches.
        // `{"NAME":` for the first field, `,"NAME":` for the others, flattened: the hot loop copies
        // slices of one buffer instead of touching an array per field.
        var prefixes: [UInt8] = []
        var prefixEnds: [Int] = []
        for (position, field) in fields.fields.enumerated() {
            prefixes.append(position == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            prefixes += Loader.quoted(field.name)
            prefixes.append(UInt8(ascii: ":"))
            prefixEnds.append(prefixes.count)
        }
        let layout = FieldLayout(
            prefixes: prefixes,
            prefixEnds: prefixEnds,
            columns: fields.fields.map(\.column),
            types: types,
            encoding: summary.encoding
        )
        let action = Array("{\"index\":{\"_index\":".utf8) + Loader.quoted(index) + Array(",\"_id\":\"".utf8)
        let source =
            Array(",\"_source_file\":".utf8) + Loader.quoted(name)
            + Array(",\"_source_sha256\":\"\(digest.sha256)\"}\n".utf8)
        var batch = JSONWriter()
        let ids = DocumentIDs(sha: digest.sha256)
        var inBatch = 0
        var rowNumber = 0
        let rows = singlePass ? cursor : try table.open()
        if !singlePass { _ = try rows.next() }
        while let row = try rows.next() {
            rowNumber += 1
            if rowNumber % Loader.progressEvery == 0 {
                progress?(
                    LoadProgress(
                        file: name,
                        phase: .loading,
                        rows: rowNumber,
                        totalRows: singlePass ? nil : summary.rows,
                        bytesRead: singlePass ? rows.bytesRead : nil,
                        fileBytes: fileBytes
                    )
                )
            }
            if singlePass {
                summary.rows += 1
                if shape.isRagged(row, summary: &summary) {
                    summary.failed += 1
                    continue
                }
            } else if shape.skipped.contains(row.line) || (skipsEmptyRows && row.cells.isEmpty) {
                continue
            }
            batch.bytes.append(contentsOf: action)
            ids.write(row: rowNumber, into: &batch.bytes)
            batch.raw("\"}}\n")
            Loader.appendFields(of: row, layout, into: &batch)
            batch.bytes.append(contentsOf: source)
            inBatch += 1
            if inBatch >= maxDocuments || batch.bytes.count >= maxBytes {
                try await flush(&batch, &inBatch, &summary)
            }
        }
        if inBatch > 0 { try await flush(&batch, &inBatch, &summary) }
        return summary
    }

    /// What the first pass learns of a table: its header (widened by spreadsheet rows), each
    /// column's type, whether the text is UTF-8, the rows to skip.
    struct Shape {
        var header: [[UInt8]]
        var types: [ColumnType]
        var isUTF8: Bool
        var skipped: Set<Int> = []
        var emptyRows = 0
        private let initialType: ColumnType

        init(header: [[UInt8]], values: ValueTyping) {
            self.header = header
            initialType = values == .text ? .legacyText : .empty
            types = Array(repeating: initialType, count: header.count)
            isUTF8 = header.allSatisfy(TextEncoding.isValidUTF8)
        }

        /// A row with more fields than the header, the extra ones not empty: a CSV row that
        /// cannot be read as the header says. Reported (the first few), to be skipped.
        func isRagged(_ row: TableRow, summary: inout FileSummary) -> Bool {
            guard row.cells.count > header.count, row.cells[header.count...].contains(where: { $0 != .empty }) else {
                return false
            }
            if summary.problems.count < Loader.reportedProblems {
                summary.problems.append(
                    "\(summary.file):\(row.line): \(row.cells.count) fields where the header has \(header.count); row skipped"
                )
            }
            return true
        }

        mutating func add(_ row: TableRow, widening: Bool, summary: inout FileSummary) {
            if row.cells.isEmpty { emptyRows += 1 }
            if row.cells.count > header.count, widening {
                // A spreadsheet cell right of the header: pandas names its column `Unnamed: N`.
                types += Array(repeating: initialType, count: row.cells.count - header.count)
                header += Array(repeating: [], count: row.cells.count - header.count)
            } else if isRagged(row, summary: &summary) {
                skipped.insert(row.line)
                return
            }
            row.bytes.withUnsafeBufferPointer { buffer in
                for (column, cell) in row.cells.prefix(types.count).enumerated() {
                    guard case .text(let range) = cell else {
                        types[column] = types[column].merged(with: cell.type)
                        continue
                    }
                    let text = buffer[range]
                    // Once a column is text, nothing narrows it again: skip classifying its values.
                    if types[column] != .string && types[column] != .legacyText {
                        types[column] = types[column].merged(with: text.isEmpty ? .empty : ColumnType.of(text))
                    }
                    if isUTF8, !TextEncoding.isValidUTF8(text) { isUTF8 = false }
                }
            }
        }
    }

    private func flush(_ batch: inout JSONWriter, _ count: inout Int, _ summary: inout FileSummary) async throws {
        let result = try await sink.send(batch.bytes, count: count)
        summary.loaded += count - result.failed
        summary.failed += result.failed
        for reason in result.reasons where summary.problems.count < Loader.reportedProblems {
            summary.problems.append("\(summary.file): rejected: \(reason)")
        }
        batch.bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    /// How a table's rows become documents: each field's JSON prefix, the column it holds, the
    /// columns' types and the file's encoding.
    struct FieldLayout {
        var prefixes: [UInt8]
        var prefixEnds: [Int]
        var columns: [Int]
        var types: [ColumnType]
        var encoding: TextEncoding
    }

    /// The fields of one document: each field's prefix, then its column's cell as a JSON value.
    static func appendFields(of row: TableRow, _ layout: FieldLayout, into batch: inout JSONWriter) {
        row.bytes.withUnsafeBufferPointer { buffer in
            row.cells.withUnsafeBufferPointer { cells in
                layout.prefixes.withUnsafeBufferPointer { prefixes in
                    var start = 0
                    for field in 0..<layout.prefixEnds.count {
                        let end = layout.prefixEnds[field], column = layout.columns[field]
                        batch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: prefixes[start..<end]))
                        start = end
                        write(
                            column < cells.count ? cells[column] : .empty,
                            in: buffer,
                            as: layout.types[column],
                            encoding: layout.encoding,
                            into: &batch
                        )
                    }
                }
            }
        }
    }

    /// A cell as the JSON value of its column's type.
    static func write(
        _ cell: Cell,
        in row: UnsafeBufferPointer<UInt8>,
        as type: ColumnType,
        encoding: TextEncoding,
        into writer: inout JSONWriter
    ) {
        if type == .legacyText {
            writeLegacy(cell, in: row, encoding: encoding, into: &writer)
            return
        }
        switch cell {
        case .empty:
            writer.raw("null")
        case .text(let range):
            let bytes = row[range]
            switch type {
            case .integer: writer.bytes += bytes.first == UInt8(ascii: "+") ? bytes.dropFirst() : bytes
            case .float where isJSONNumber(bytes):
                // `7` in a float column is written `7.0`: Elasticsearch maps a field from its first
                // value, and a `long` mapping would then truncate `12.5`.
                writer.bytes += bytes
                if !bytes.contains(where: {
                    $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
                }) {
                    writer.raw(".0")
                }
            case .float: writer.raw(Double(String(decoding: bytes, as: UTF8.self)).map { "\($0)" } ?? "null")
            case .boolean: writer.raw(Cell.bool(from: bytes) == true ? "true" : "false")
            default: encoding == .utf8 ? writer.string(bytes) : writer.string(encoding.utf8(bytes))
            }
        case .number(let value):
            switch type {
            case .integer: writer.raw(String(Int64(value)))
            case .float: writer.raw(value.isFinite ? "\(value)" : "null")
            default: writer.string(PythonText.number(value))
            }
        case .bool(let value):
            type == .boolean ? writer.raw(value ? "true" : "false") : writer.string(PythonText.bool(value))
        case .date(let text):
            writer.string(text)
        }
    }

    /// A cell as the legacy ETL sent it: its text; null for an empty cell and for the texts
    /// `nan` and `NaT` (pypel's replacements), but `NA`, `null` or `N/A` stay text.
    static func writeLegacy(
        _ cell: Cell,
        in row: UnsafeBufferPointer<UInt8>,
        encoding: TextEncoding,
        into writer: inout JSONWriter
    ) {
        switch cell {
        case .empty:
            writer.raw("null")
        case .text(let range):
            let bytes = row[range]
            if bytes.count == 3, isNaNText(bytes) {
                writer.raw("null")
            } else if encoding == .utf8 {
                writer.string(UnsafeBufferPointer(rebasing: bytes))
            } else {
                writer.string(encoding.utf8(bytes))
            }
        case .number(let value): writer.string(PythonText.number(value))
        case .bool(let value): writer.string(PythonText.bool(value))
        case .date(let text): writer.string(PythonText.date(text))
        }
    }

    /// `nan` or `NaT`, the texts pypel's transformer turns into null.
    private static func isNaNText(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let start = bytes.startIndex
        let first = bytes[start], second = bytes[start + 1], third = bytes[start + 2]
        return (first == UInt8(ascii: "n") && second == UInt8(ascii: "a") && third == UInt8(ascii: "n"))
            || (first == UInt8(ascii: "N") && second == UInt8(ascii: "a") && third == UInt8(ascii: "T"))
    }

    /// Whether a float column's text is already a JSON number (`12.5`, `-3`, `1e5`), which is
    /// then copied as is; others (`+1.5`, `.5`, `1.`) are normalized.
    static func isJSONNumber(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard var index = bytes.indices.first else { return false }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
            return false
        }
        var previousWasDigit = true
        for byte in bytes[index...] {
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if !digit && !previousWasDigit { return false }
            previousWasDigit = digit
        }
        return previousWasDigit
    }

    /// The header row's cells as the text pandas names columns with (before `Unnamed: N` and
    /// `.1` renaming): text as written (in the file's bytes until the encoding is known),
    /// spreadsheet values as Python's `str()` of them.
    static func headerTexts(_ header: TableRow) -> [[UInt8]] {
        header.cells.map { cell in
            switch cell {
            case .text(let range): return Array(header.text(range))
            case .number(let value): return Array(PythonText.number(value).utf8)
            case .bool(let value): return Array(PythonText.bool(value).utf8)
            case .date(let text): return Array(PythonText.date(text).utf8)
            case .empty: return []
            }
        }
    }

    /// The document id of a row: deterministic, so loading the same file again overwrites
    /// instead of duplicating.
    static func documentID(sha: String, row: Int) -> String {
        var bytes: [UInt8] = []
        DocumentIDs(sha: sha).write(row: row, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static let digits = Array("0123456789abcdef".utf8)

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func quoted(_ text: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.string(text)
        return writer.bytes
    }

    /// The SHA-256 of a file, streamed.
    public static func sha256(of path: String) throws -> String {
        try digest(of: path, knownSHA: nil, validatingUTF8: false).sha256
    }

    /// What one read of a file's bytes tells: its SHA-256 (unless already known) and whether it
    /// is valid UTF-8 (when asked). Reads nothing when neither is needed.
    static func digest(
        of path: String,
        knownSHA: String?,
        validatingUTF8: Bool
    ) throws -> (sha256: String, isUTF8: Bool) {
        if let knownSHA, !validatingUTF8 { return (knownSHA, true) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ETLError.input("\(path): cannot open the file")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var validator = validatingUTF8 ? UTF8Validator() : nil
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            if knownSHA == nil { hasher.update(data: data) }
            if validator != nil, !validator!.add(data) { validator = nil }
            if knownSHA != nil, validator == nil { break }
        }
        let isUTF8 = validatingUTF8 ? validator?.finish() ?? false : true
        return (knownSHA ?? hex(hasher.finalize()), isUTF8)
    }
}

/// Validates UTF-8 fed in chunks, a sequence split between two chunks included.
struct UTF8Validator {
    private var carry: [UInt8] = []

    /// Adds a chunk; false once the bytes so far are not UTF-8.
    mutating func add(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            if carry.isEmpty, UTF8Validator.isASCII(bytes) { return true }
            var joined = carry
            joined.append(contentsOf: bytes)
            // Keep back an incomplete sequence at the end for the next chunk.
            var end = joined.count
            var back = 0
            while back < 3, end - back - 1 >= 0, joined[end - back - 1] & 0xC0 == 0x80 { back += 1 }
            if end - back - 1 >= 0 {
                let lead = joined[end - back - 1]
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                if length > back + 1 { end -= back + 1 }
            }
            carry = Array(joined[end...])
            return TextEncoding.isValidUTF8(joined[..<end])
        }
    }

    /// Whether nothing is left over at the end of the file.
    func finish() -> Bool { carry.isEmpty }

    /// Whether every byte is ASCII, eight bytes at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        var high: UInt64 = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index += 8
            }
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}

/// Document ids of one file: the first 128 bits of the file's SHA-256 in hex, a dash, the row
/// number (`9f86d081884c7d659a2feaa0c55ad015-42`). Deterministic, so loading the same content
/// again overwrites its documents; unique, as the content hash is; and sequential within a
/// file, which Lucene indexes faster than random ids. No hashing per row.
struct DocumentIDs {
    private let prefix: [UInt8]

    init(sha: String) {
        prefix = Array(sha.utf8.prefix(32)) + [UInt8(ascii: "-")]
    }

    func write(row: Int, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: prefix)
        // The row number's decimal digits, without a String.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var value = row, start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }
}
