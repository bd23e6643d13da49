import Foundation
import Glibc
import Model

/// The process groups of this process's runs, for a later orchestrator to kill what is left of
/// a run if this one dies: one file per process, of fixed-size records, one per run going on,
/// each written with a single `pwrite` once the run's group exists.
///
/// Why a file and not the state store: the record only has to outlive this process, not the
/// machine (whose death ends the run too), so the page cache is enough; a write there costs a few
/// microseconds, a commit a hundred, and a commit between spawn and wait held up every run.
/// A record is never cleared: its slot is reused by a later run, and a record of a finished run
/// is never looked at (recovery only asks about runs without an outcome).
final class GroupJournal: @unchecked Sendable {
    static let recordSize = 64

    private let path: String
    private let lock = NSLock()
    private var descriptor: Int32 = -1
    private var freeSlots: [Int] = []
    private var slotCount = 0

    init(directory: String, owner: Owner) {
        path = GroupJournal.path(directory: directory, owner: owner)
    }

    /// The journal of `owner`, on this host.
    static func path(directory: String, owner: Owner) -> String {
        let host = owner.host.map { $0 == "/" ? "_" : $0 }
        return "\(directory)/\(String(host))-\(owner.pid)-\(owner.startTime).groups"
    }

    /// Records that run `runID` leads process group `group`; returns the record's slot, to be
    /// released when the run has ended, or nil when it could not be written.
    func record(runID: String, group: Int32) -> Int? {
        var text = Array("\(runID) \(group)".utf8)
        guard text.count < GroupJournal.recordSize else { return nil }
        text += [UInt8](repeating: UInt8(ascii: " "), count: GroupJournal.recordSize - 1 - text.count) + [10]
        let (file, slot) = lock.withLock { () -> (Int32, Int) in
            if descriptor < 0 {
                try? PrivateFiles.makeDirectory(PathResolution.directory(of: path))
                descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            }
            if let free = freeSlots.popLast() { return (descriptor, free) }
            slotCount += 1
            return (descriptor, slotCount - 1)
        }
        guard file >= 0, pwrite(file, text, text.count, off_t(slot * GroupJournal.recordSize)) == text.count else {
            release(slot)
            return nil
        }
        return slot
    }

    func release(_ slot: Int) {
        lock.withLock { freeSlots.append(slot) }
    }

    /// The process groups recorded by `owner`, by run.
    static func groups(directory: String, owner: Owner) -> [String: Int32] {
        guard let data = FileManager.default.contents(atPath: path(directory: directory, owner: owner)) else {
            return [:]
        }
        var groups: [String: Int32] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let group = Int32(fields[1]) { groups[String(fields[0])] = group }
        }
        return groups
    }

    /// Removes the journals of this host's dead processes, once their runs are recovered (and
    /// those of processes that ended normally without removing theirs).
    static func removeDead(directory: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard name.hasSuffix(".groups") else { continue }
            let fields = name.dropLast(".groups".count).split(separator: "-")
            guard fields.count >= 3, let pid = Int32(fields[fields.count - 2]) else { continue }
            let owner = Owner(host: Owner.current.host, pid: pid, startTime: String(fields[fields.count - 1]))
            if name == path(directory: "", owner: owner).dropFirst(), owner.isDeadOnThisHost {
                unlink("\(directory)/\(name)")
            }
        }
    }

    /// A process that ends with no run going on leaves no journal.
    deinit {
        guard descriptor >= 0 else { return }
        close(descriptor)
        if freeSlots.count == slotCount { unlink(path) }
    }
}
