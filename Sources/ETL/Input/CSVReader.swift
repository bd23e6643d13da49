import Foundation

/// One record of a CSV file, borrowed: valid only inside the callback that receives it.
public struct CSVRecord {
    /// The line on which the record starts, from 1.
    public let line: Int
    let bytes: [UInt8]
    let ends: [Int]

    public var count: Int { ends.count }

    /// The raw bytes of field `index` (quotes removed, doubled quotes undone).
    public func field(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }
}

/// A streaming CSV reader: RFC 4180 quoting (fields with delimiters, newlines and doubled quotes),
/// `\n` or `\r\n` line ends, a UTF-8 byte order mark skipped, blank lines skipped. Memory stays
/// constant: one read buffer and one record, whatever the file's size.
public final class CSVReader {
    public let path: String
    public let delimiter: UInt8
    static let chunkSize = 1 << 20

    public init(path: String, delimiter: UInt8) {
        self.path = path
        self.delimiter = delimiter
    }

    /// The delimiter among `,` `;` tab `|` that splits the first lines most consistently.
    public static func sniffDelimiter(path: String) throws(ETLError) -> UInt8 {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .input("\(path): cannot open the file") }
        defer { try? handle.close() }
        let sample = [UInt8]((try? handle.read(upToCount: 64 << 10)) ?? Data())
        return sniffDelimiter(in: sample)
    }

    static func sniffDelimiter(in sample: [UInt8]) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
        var lines: [[UInt8: Int]] = [[:]]
        var quoted = false
        for byte in sample {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if quoted { continue }
            if byte == UInt8(ascii: "\n") {
                if lines.count == 50 { break }
                lines.append([:])
            } else if candidates.contains(byte) {
                lines[lines.count - 1][byte, default: 0] += 1
            }
        }
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        var best = candidates[0]
        var bestScore = -1.0
        for candidate in candidates {
            let counts = lines.map { $0[candidate] ?? 0 }
            guard let first = counts.first, first > 0 else { continue }
            let consistent = Double(counts.filter { $0 == first }.count) / Double(counts.count)
            let score = consistent * 1000 + Double(first)
            if score > bestScore {
                bestScore = score
                best = candidate
            }
        }
        return best
    }

    private var handle: FileHandle?
    /// Bytes read from the file so far (whole chunks), for progress.
    private(set) var bytesRead: Int64 = 0
    private var chunk: [UInt8] = []
    private var position = 0
    private var started = false
    private var finished = false
    private var field: [UInt8] = []
    private var ends: [Int] = []
    private var line = 1
    private var recordLine = 1
    private var inQuotes = false
    private var quoteSeen = false
    private var fieldStarted = false
    private var recordHasContent = false
    private var pendingCarriage = false

    /// The next record, or `nil` at the end of the file.
    public func next() throws -> CSVRecord? {
        if !started {
            started = true
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw ETLError.input("\(path): cannot open the file")
            }
            handle = opened
            field.reserveCapacity(4096)
        }
        if finished { return nil }
        field.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        while true {
            if position == chunk.count {
                guard let data = try handle?.read(upToCount: CSVReader.chunkSize), !data.isEmpty else {
                    return try finish()
                }
                chunk = [UInt8](data)
                bytesRead += Int64(data.count)
                position = 0
                if line == 1, recordLine == 1, field.isEmpty, chunk.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
                continue
            }
            if let record = scan() { return record }
        }
    }

    /// Runs the state machine over the current chunk until a record ends or the chunk does. The
    /// state lives in locals meanwhile: stored properties of a class would pay an exclusivity
    /// check on every byte.
    private func scan() -> CSVRecord? {
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        let delimiter = self.delimiter
        var field: [UInt8] = []
        var ends: [Int] = []
        swap(&field, &self.field)
        swap(&ends, &self.ends)
        var position = self.position
        var line = self.line, inQuotes = self.inQuotes, quoteSeen = self.quoteSeen, fieldStarted = self.fieldStarted
        var recordHasContent = self.recordHasContent, pendingCarriage = self.pendingCarriage
        var completed = false
        chunk.withUnsafeBufferPointer { bytes in
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if inQuotes {
                    if byte == quote {
                        inQuotes = false
                        quoteSeen = true
                        continue
                    }
                    // Copy the run up to the next quote at once.
                    var end = position
                    while end < bytes.count, bytes[end] != quote { end += 1 }
                    let run = UnsafeBufferPointer(rebasing: bytes[(position - 1)..<end])
                    for character in run where character == newline { line += 1 }
                    field.append(contentsOf: run)
                    position = end
                    continue
                }
                if pendingCarriage {
                    // "\r\n" ends a line; a lone "\r" does too (old Mac files).
                    pendingCarriage = false
                    if byte != newline { position -= 1 }
                    completed = true
                    return
                }
                if quoteSeen && byte == quote {
                    // A doubled quote inside a quoted field.
                    field.append(quote)
                    inQuotes = true
                    quoteSeen = false
                    continue
                }
                switch byte {
                case delimiter:
                    ends.append(field.count)
                    fieldStarted = false
                    quoteSeen = false
                    recordHasContent = true
                case newline:
                    completed = true
                    return
                case carriage:
                    pendingCarriage = true
                case quote where !fieldStarted:
                    inQuotes = true
                    fieldStarted = true
                    recordHasContent = true
                default:
                    // Copy the run of ordinary bytes at once.
                    var end = position
                    while end < bytes.count {
                        let next = bytes[end]
                        if next == delimiter || next == newline || next == carriage { break }
                        end += 1
                    }
                    field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(position - 1)..<end]))
                    position = end
                    fieldStarted = true
                    recordHasContent = true
                }
            }
        }
        swap(&field, &self.field)
        swap(&ends, &self.ends)
        self.position = position
        self.line = line
        self.inQuotes = inQuotes
        self.quoteSeen = quoteSeen
        self.fieldStarted = fieldStarted
        self.recordHasContent = recordHasContent
        self.pendingCarriage = pendingCarriage
        return completed ? endRecord() : nil
    }

    private func finish() throws -> CSVRecord? {
        finished = true
        try? handle?.close()
        if inQuotes {
            throw ETLError.input("\(path):\(recordLine): a quoted field is not closed before the end of the file")
        }
        if pendingCarriage || recordHasContent || !field.isEmpty { return endRecord() }
        return nil
    }

    private func endField() {
        ends.append(field.count)
        fieldStarted = false
        quoteSeen = false
    }

    /// Ends the current record; `nil` for a blank line, which is skipped: an empty line, or one
    /// of spaces and tabs only (as pandas' tokenizer skips them).
    private func endRecord() -> CSVRecord? {
        let whitespace =
            ends.isEmpty && !quoteSeen && field.allSatisfy { ($0 == 0x20 || $0 == 0x09) && $0 != delimiter }
        endField()
        let record =
            (recordHasContent && !whitespace) || ends.count > 1
            ? CSVRecord(line: recordLine, bytes: field, ends: ends) : nil
        recordHasContent = false
        line += 1
        recordLine = line
        if record == nil {
            field.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
        }
        return record
    }
}
