import Foundation

/// Whether XML parts are well-formed UTF-8, checked before Foundation's `XMLParser` sees them:
/// on a name with invalid bytes (`<f\xff…>`) it traps instead of failing, found by
/// `scripts/fuzz.sh xlsx-sheet`. Parts of a real workbook are always UTF-8.
enum UTF8Check {
    /// Whether the file at `path` is valid UTF-8, read in chunks (a sheet can be gigabytes).
    static func file(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        var carried: [UInt8] = []
        while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
            let bytes = carried + data
            let complete = bytes.count - incompleteTail(bytes)
            guard String(validating: bytes[..<complete], as: UTF8.self) != nil else { return false }
            carried = Array(bytes[complete...])
        }
        return carried.isEmpty
    }

    static func data(_ data: Data) -> Bool { String(validating: data, as: UTF8.self) != nil }

    /// How many bytes at the end start a sequence that the next chunk may complete.
    private static func incompleteTail(_ bytes: [UInt8]) -> Int {
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte & 0xC0 == 0x80 { continue }
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return length > back ? back : 0
        }
        return 0
    }
}
