import Crypto
import Glibc

/// Streams a file through SHA-256, and tells whether the file changed while it was read.
enum ContentHasher {
    static let bufferSize = 1 << 20

    enum Outcome: Equatable {
        case hashed(String, FileStat)
        /// The stat differed before and after reading: the file is still being written.
        case changed
        /// The file disappeared or cannot be read.
        case unreadable(String)
    }

    /// Opened with `O_NONBLOCK` (no effect on a regular file's reads): a FIFO swapped in for the
    /// file after it was stat'ed would otherwise block the daemon until someone writes to it.
    static func hash(_ path: String, expected: FileStat) -> Outcome {
        let descriptor = path.withSystemPath { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        guard descriptor >= 0 else { return .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard let before = FileStat.of(descriptor: descriptor), before == expected else { return .changed }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, bufferSize)
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        guard let after = FileStat.of(descriptor: descriptor), after == before, FileStat.of(path) == before else {
            return .changed
        }
        return .hashed(hasher.finalize().hex, after)
    }
}

extension SHA256.Digest {
    /// The digest in lower-case hexadecimal, as the ledger keys contents.
    var hex: String {
        map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
