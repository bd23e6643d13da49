import Foundation

/// Reads a small input file (a manifest, a legacy config) defensively: only a regular file, and
/// only up to a size bound, so that a FIFO or a runaway generated file is reported instead of
/// hanging or exhausting the reader.
public enum BoundedFile {
    /// Why a file was not read.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// The system refused to open or read it, with its reason ("Permission denied").
        case unreadable(String)
        /// A FIFO, a device, a socket.
        case notARegularFile
        /// Larger than the bound, in bytes.
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .unreadable(let reason): return "cannot read the file: \(reason)"
            case .notARegularFile: return "not a regular file"
            case .tooLarge(let limit): return "the file is larger than \(limit / 1024) KiB"
            }
        }
    }

    /// The bytes of the regular file at `path`, at most `limit` of them. Opened with
    /// `O_NONBLOCK`, so that opening a FIFO returns at once instead of waiting for a writer.
    public static func read(_ path: String, limit: Int) -> Result<Data, Problem> {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            return .failure(.notARegularFile)
        }
        guard status.st_size <= limit else { return .failure(.tooLarge(limit: limit)) }
        guard let data = try? handle.read(upToCount: limit + 1) ?? Data() else {
            return .failure(.unreadable("read error"))
        }
        return data.count <= limit ? .success(data) : .failure(.tooLarge(limit: limit))
    }
}
