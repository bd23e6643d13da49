import Foundation
import Model

/// The orchestrator's own files hold secrets (env files with `fromEnv` values) and history (the
/// state, run logs): they are private to the user it runs as from the first byte. Created with
/// their final mode, never created open and restricted afterwards, which leaves a window in
/// which another local user can read them.
enum PrivateFiles {
    /// Creates `path` and its missing parents with mode 0700. An existing `path` is set to 0700
    /// when `restrictExisting` (a folder of the orchestrator's own, such as its logs; not a
    /// folder the user named, such as the one given with `--state`).
    static func makeDirectory(_ path: String, restrictExisting: Bool = true) throws {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", current != ".", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = PathResolution.directory(of: current)
        }
        for folder in missing.reversed() where mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, path: folder)
        }
        if restrictExisting || !missing.isEmpty, chmod(path, 0o700) != 0 {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, path: path)
        }
    }

    /// Opens `path` for writing, created (or truncated) with mode 0600, never through a symlink.
    static func create(_ path: String) throws -> FileHandle {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, path: path) }
        // A file that existed keeps its mode through O_CREAT: restrict it too.
        fchmod(descriptor, 0o600)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Runs `body` holding an exclusive flock on the folder at `path`, waiting for another
    /// process that holds it.
    static func withExclusiveLock<Result>(onDirectory path: String, _ body: () throws -> Result) throws -> Result {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, path: path) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, path: path) }
        }
        return try body()
    }

    /// Writes `data` to a new private file at `path`.
    static func write(_ data: Data, to path: String) throws {
        let handle = try create(path)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
    }
}

extension POSIXError {
    /// The error of a system call on `path`, which the message names.
    init(_ code: POSIXErrorCode, path: String) {
        self.init(
            code,
            userInfo: [
                NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "\(path): \(String(cString: strerror(code.rawValue)))",
            ]
        )
    }
}

/// Folders of the orchestrator's own that this process has made private already: a pipeline's
/// status folder is made and restricted once (`PrivateFiles.makeDirectory`: a `stat` and a
/// `chmod`, 40 µs of the way from a file's close to its command's start); later, one `mkdir`
/// makes it again if someone removed it meanwhile.
final class MadeFolders: @unchecked Sendable {
    private let lock = NSLock()
    private var made: Set<String> = []

    /// Makes `path` private, or again if it was removed since.
    func make(_ path: String) throws {
        if lock.withLock({ made.contains(path) }), mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        try PrivateFiles.makeDirectory(path)
        lock.withLock { _ = made.insert(path) }
    }
}
