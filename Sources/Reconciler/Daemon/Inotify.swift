import Foundation
import Glibc
import Model

/// One event of the kernel's inotify queue.
public struct InotifyEvent: Sendable, Hashable {
    /// The watch it concerns (-1 for a queue overflow).
    public var watch: Int32
    public var mask: UInt32
    public var cookie: UInt32
    /// The name of the entry in the watched folder, empty for events about the folder itself.
    public var name: String

    public func has(_ flag: UInt32) -> Bool { mask & flag != 0 }
}

/// The inotify flags the orchestrator uses (defined here: C macros do not all import).
public enum InotifyMask {
    public static let modify: UInt32 = 0x0000_0002
    public static let closeWrite: UInt32 = 0x0000_0008
    public static let movedFrom: UInt32 = 0x0000_0040
    public static let movedTo: UInt32 = 0x0000_0080
    public static let create: UInt32 = 0x0000_0100
    public static let delete: UInt32 = 0x0000_0200
    public static let deleteSelf: UInt32 = 0x0000_0400
    public static let moveSelf: UInt32 = 0x0000_0800
    public static let unmount: UInt32 = 0x0000_2000
    public static let queueOverflow: UInt32 = 0x0000_4000
    public static let ignored: UInt32 = 0x0000_8000
    public static let onlyDirectory: UInt32 = 0x0100_0000
    public static let dontFollow: UInt32 = 0x0200_0000
    /// Adds to the folder's mask rather than replacing it.
    public static let maskAdd: UInt32 = 0x2000_0000
    public static let isDirectory: UInt32 = 0x4000_0000

    /// What a watched folder of files reports.
    public static let folder: UInt32 =
        modify | closeWrite | movedFrom | movedTo | create | delete | deleteSelf | moveSelf | onlyDirectory | dontFollow

    /// What a folder holding a name that leads to the pipelines folder reports: its entries
    /// coming and going, not their writes (a state database beside the pipelines folder would
    /// otherwise wake the daemon at every commit). Added to the folder's mask, so that a
    /// pipeline's folder watched for both keeps `folder`.
    public static let names: UInt32 =
        movedFrom | movedTo | create | delete | deleteSelf | moveSelf | onlyDirectory | dontFollow | maskAdd
}

/// Why a watch could not be added.
public enum InotifyError: Error, CustomStringConvertible {
    /// `max_user_watches` reached: the folder must be polled instead.
    case noSpace
    case failed(String, Int32)

    public var description: String {
        switch self {
        case .noSpace: return "inotify watch limit reached (fs.inotify.max_user_watches)"
        case .failed(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        }
    }
}

/// The Linux inotify API through Glibc: one instance and its watches. Its descriptor is
/// non-blocking: the controller's thread polls it between jobs and reads what is there.
public final class Inotify: @unchecked Sendable {
    /// Readable when events wait.
    public let descriptor: Int32
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 8)

    public init() throws(InotifyError) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw .failed("inotify_init1", errno) }
    }

    deinit {
        Glibc.close(descriptor)
        buffer.deallocate()
    }

    /// Watches `path` for `mask`; the same folder watched twice gives the same descriptor.
    public func add(_ path: String, mask: UInt32) throws(InotifyError) -> Int32 {
        let watch = path.withSystemPath { inotify_add_watch(descriptor, $0, mask) }
        guard watch >= 0 else { throw errno == ENOSPC ? .noSpace : .failed("watch \(path)", errno) }
        return watch
    }

    public func remove(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// The events waiting now, as the kernel returns them (none when there are none). One
    /// reader at a time: the buffer is the instance's.
    public func read() -> [InotifyEvent] {
        let count = Glibc.read(descriptor, buffer, 64 << 10)
        guard count > 0 else { return [] }
        return Inotify.parse(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        let header = 16
        while offset + header <= bytes.count {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let end = min(offset + header + length, bytes.count)
            let field = UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[(offset + header)..<end])
            let name = FileSystemName.decode(UnsafeBufferPointer(rebasing: field.prefix { $0 != 0 }))
            events.append(InotifyEvent(watch: watch, mask: mask, cookie: cookie, name: name))
            offset += header + length
        }
        return events
    }
}
