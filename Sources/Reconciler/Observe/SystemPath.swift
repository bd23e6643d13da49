import Glibc
import Model

extension String {
    /// Calls `body` with this path as the NUL-terminated bytes the kernel takes, the bytes of a
    /// name that is not UTF-8 restored (see `FileSystemName`). Every system call on a watched
    /// file goes through here, so that such a name is found, run, moved and deleted as it is.
    func withSystemPath<T>(_ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        guard utf8.contains(0xF4) else { return try withCString(body) }
        let bytes = fileSystemBytes + [0]
        return try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}

/// Folder listings that keep every name, UTF-8 or not.
enum Directory {
    /// The names in `path` (without `.` and `..`), unsorted; `nil` when it cannot be opened.
    static func names(_ path: String) -> [String]? {
        guard let directory = path.withSystemPath({ opendir($0) }) else { return nil }
        defer { closedir(directory) }
        return names(directory)
    }

    /// The names of an open folder stream.
    static func names(_ directory: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                FileSystemName.decode(UnsafeRawBufferPointer(rebasing: raw[..<(raw.firstIndex(of: 0) ?? raw.count)]))
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
