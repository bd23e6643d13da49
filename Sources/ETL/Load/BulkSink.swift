import Foundation

/// Where bulk requests go: an Elasticsearch `_bulk` endpoint, or an NDJSON file.
public protocol BulkSink: Sendable {
    /// Deletes and recreates `index` with `body` (settings and mappings), for `-c`.
    func recreate(index: String, body: Data?) async throws
    /// Sends one `_bulk` body of `count` documents; returns the documents that failed and why.
    func send(_ body: [UInt8], count: Int) async throws -> BulkResult
    func close() async throws
}

/// The outcome of one bulk request.
public struct BulkResult: Sendable {
    public var failed: Int
    /// The first reasons, as the server gave them.
    public var reasons: [String]

    public init(failed: Int = 0, reasons: [String] = []) {
        self.failed = failed
        self.reasons = reasons
    }
}

/// The embedded default: the bulk bodies appended to a file, replayable with
/// `curl -H 'Content-Type: application/x-ndjson' --data-binary @FILE http://…/_bulk`.
///
/// Writes happen on a queue of their own while the next batch is built; at most one batch waits,
/// so memory stays bounded.
public final class NDJSONSink: BulkSink, @unchecked Sendable {
    private let handle: FileHandle
    private let queue = DispatchQueue(label: "ndjson-sink")
    private let slots = DispatchSemaphore(value: 1)
    private let lock = NSLock()
    private var failure: (any Error)?
    public let path: String

    public init(path: String) throws(ETLError) {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw .sink("\(path): cannot write the NDJSON file")
        }
        _ = try? handle.seekToEnd()
        self.handle = handle
    }

    public func recreate(index: String, body: Data?) async throws {}

    public func send(_ body: [UInt8], count: Int) async throws -> BulkResult {
        try checkFailure()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            do { try NDJSONSink.write(body, to: handle.fileDescriptor) } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        return BulkResult()
    }

    public func close() async throws {
        queue.sync {}
        try checkFailure()
        try handle.close()
    }

    /// The whole buffer with write(2), straight from the array's storage.
    private static func write(_ body: [UInt8], to descriptor: Int32) throws {
        try body.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
    }

    private func checkFailure() throws {
        if let error = lock.withLock({ failure }) {
            throw ETLError.sink("\(path): cannot write: \(error.localizedDescription)")
        }
    }
}
