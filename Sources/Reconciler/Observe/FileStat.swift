import Glibc
import Model

/// The identity and version of a file as `stat` reports it: what the stat cache compares.
struct FileStat: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mtimeNs: Int64
    var ctimeNs: Int64
    var isRegular: Bool
    var isDirectory: Bool
    var isSymbolicLink: Bool

    init(_ raw: stat) {
        device = UInt64(raw.st_dev)
        inode = UInt64(raw.st_ino)
        size = Int64(raw.st_size)
        mtimeNs = Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec)
        ctimeNs = Int64(raw.st_ctim.tv_sec) * 1_000_000_000 + Int64(raw.st_ctim.tv_nsec)
        isRegular = raw.st_mode & S_IFMT == S_IFREG
        isDirectory = raw.st_mode & S_IFMT == S_IFDIR
        isSymbolicLink = raw.st_mode & S_IFMT == S_IFLNK
    }

    /// `stat` of a watched folder's root, which may be a symbolic link (`data/current -> v2`),
    /// followed as `find -H` follows the paths it is given. Links inside are never followed.
    static func ofRoot(_ path: String) -> FileStat? {
        var raw = stat()
        return path.withSystemPath { stat($0, &raw) } == 0 ? FileStat(raw) : nil
    }

    /// `lstat` of a path: symbolic links are not followed (a link is neither file nor folder).
    static func of(_ path: String) -> FileStat? {
        var raw = stat()
        return path.withSystemPath { lstat($0, &raw) } == 0 ? FileStat(raw) : nil
    }

    /// `lstat` of a name in an open folder, which spares the kernel the walk of the whole path.
    static func of(_ name: String, in folder: Int32) -> FileStat? {
        var raw = stat()
        return name.withSystemPath { fstatat(folder, $0, &raw, AT_SYMLINK_NOFOLLOW) } == 0 ? FileStat(raw) : nil
    }

    /// `fstat` of an open descriptor.
    static func of(descriptor: Int32) -> FileStat? {
        var raw = stat()
        return fstat(descriptor, &raw) == 0 ? FileStat(raw) : nil
    }

    /// Whether the cached observation describes this very version of the file.
    func matches(_ observation: Observation) -> Bool {
        device == observation.device && inode == observation.inode && size == observation.size
            && mtimeNs == observation.mtimeNs && ctimeNs == observation.ctimeNs
    }

    /// Nanoseconds since the epoch of the last change: `mv` keeps an old mtime, so the ctime counts too.
    var lastChangeNs: Int64 { max(mtimeNs, ctimeNs) }
}

extension FileStat {
    /// Whether the file is still the version `observation` saw: same inode, size, mtime and
    /// ctime. ctime too, because `cp -p`, rsync and `touch -r` restore the mtime of a rewritten
    /// file, and the kernel sets ctime on every change, which no one can restore.
    func isUnchanged(since observation: Observation) -> Bool {
        inode == observation.inode && size == observation.size && mtimeNs == observation.mtimeNs
            && ctimeNs == observation.ctimeNs
    }
}
