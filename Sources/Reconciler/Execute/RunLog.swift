import Foundation
import Model

/// A run's output file, bounded in size, with secrets masked and its last bytes kept for the ledger.
///
/// Output is written a line at a time so that a secret split across two reads is still found;
/// a line longer than `lineLimit` is written in pieces. The file is created with the first byte
/// to write: a run without output leaves no file (its outcome is in the ledger).
final class RunLog: @unchecked Sendable {
    private let path: String
    private var handle: FileHandle?
    private let limit: Int
    private let redactor: Redactor
    private var written = 0
    private var truncated = false
    private var pending: [UInt8] = []
    private var tail: [UInt8] = []
    static let tailBytes = 4096
    static let lineLimit = 64 << 10

    init(path: String, limit: Int, redactor: Redactor) {
        self.path = path
        self.limit = limit
        self.redactor = redactor
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        if let newline = pending.lastIndex(of: UInt8(ascii: "\n")) {
            emit(Array(pending[...newline]))
            pending.removeFirst(newline + 1)
        } else if pending.count > RunLog.lineLimit {
            let keep = max(redactor.longestSecret - 1, 0)
            emit(Array(pending.dropLast(keep)))
            pending = Array(pending.suffix(keep))
        }
    }

    func note(_ text: String) {
        flush()
        emit(Array(text.utf8))
    }

    private func flush() {
        if !pending.isEmpty { emit(pending) }
        pending = []
    }

    /// Whether anything was written.
    var isEmpty: Bool { handle == nil }

    private func emit(_ raw: [UInt8]) {
        guard !raw.isEmpty else { return }
        if handle == nil {
            try? PrivateFiles.makeDirectory(PathResolution.directory(of: path))
            handle = try? PrivateFiles.create(path)
        }
        let bytes = redactor.isEmpty ? raw : redactor.redact(raw)
        tail.append(contentsOf: bytes)
        if tail.count > RunLog.tailBytes * 2 { tail.removeFirst(tail.count - RunLog.tailBytes) }
        guard !truncated else { return }
        let room = limit - written
        if bytes.count <= room {
            handle?.write(Data(bytes))
            written += bytes.count
        } else {
            handle?.write(Data(bytes.prefix(room)))
            handle?.write(
                Data("\n[log truncated at \(limit) bytes; the run's last output is kept in the ledger]\n".utf8)
            )
            written = limit
            truncated = true
        }
    }

    /// The last lines of output, as text.
    var lastOutput: String {
        String(decoding: tail.suffix(RunLog.tailBytes), as: UTF8.self)
    }

    func close() {
        flush()
        try? handle?.close()
    }
}
