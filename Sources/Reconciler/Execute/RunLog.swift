import Foundation

/// A run's output file, bounded in size, with its last bytes kept for the ledger.
final class RunLog: @unchecked Sendable {
    private let handle: FileHandle?
    private let limit: Int
    private var written = 0
    private var truncated = false
    private var tail: [UInt8] = []
    static let tailBytes = 4096

    init(path: String, limit: Int) {
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
        handle = FileHandle(forWritingAtPath: path)
        self.limit = limit
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        tail.append(contentsOf: bytes)
        if tail.count > RunLog.tailBytes * 2 { tail.removeFirst(tail.count - RunLog.tailBytes) }
        guard !truncated else { return }
        let room = limit - written
        if bytes.count <= room {
            handle?.write(Data(bytes))
            written += bytes.count
        } else {
            handle?.write(Data(bytes.prefix(room)))
            handle?.write(Data("\n[log truncated at \(limit) bytes; the run's last output is kept in the ledger]\n".utf8))
            written = limit
            truncated = true
        }
    }

    func note(_ text: String) {
        text.utf8CString.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
    }

    /// The last lines of output, as text.
    var lastOutput: String {
        String(decoding: tail.suffix(RunLog.tailBytes), as: UTF8.self)
    }

    func close() { try? handle?.close() }
}
