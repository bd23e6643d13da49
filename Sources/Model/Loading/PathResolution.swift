/// Lexical path arithmetic for manifests, whose relative paths are relative to their own folder.
public enum PathResolution {
    /// `path` if absolute, else `path` under `base`; `.` and `..` removed lexically, as a
    /// reader of the manifest would resolve them, without touching the file system.
    public static func resolve(_ path: String, relativeTo base: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// The folder that holds `file` (`.` for a bare name).
    public static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    /// Removes `.`, empty components and `..` (where a parent is known) from `path`.
    public static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)
                }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// Whether `normalize` would return `path` unchanged: no empty, `.` or `..` component. One
    /// pass over the bytes, with no allocation: the daemon resolves a pipeline's folder at each
    /// look and each run's start, and the paths it resolves are mostly normal already.
    static func isNormal(_ path: String) -> Bool {
        var (length, dots, leading) = (0, 0, true)
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                // An empty component is allowed only before the leading slash of an absolute path.
                if length == 0 ? !leading : (dots == length && length <= 2) { return false }
                (length, dots, leading) = (0, 0, false)
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length == 0 ? path == "/" : !(dots == length && length <= 2)
    }
}
