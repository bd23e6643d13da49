import Foundation
import Glibc

/// Process groups of runs, as found again by a later orchestrator: a stored group number may
/// since have been given to an unrelated process (pids are reused, machines reboot).
enum ProcessGroups {
    /// Whether killing `group` can only hit what is left of a run started at `startedAt`.
    ///
    /// A run's group is led by its first process (the shim or the command, started in a session
    /// of its own right after `startedAt`). Another process with that pid leading a group is a
    /// reuse: not ours. No leader any more is safe: the kernel never gives a new process a pid
    /// that is still a group's number, so whatever is left in the group is the run's.
    static func belongsToRun(_ group: Int32, startedAt: Date) -> Bool {
        guard let leaderStart = startTime(of: group) else { return true }
        let offset = leaderStart.timeIntervalSince(startedAt)
        return offset > -5 && offset < 120
    }

    /// When process `pid` started, from /proc (ticks since boot, field 22 of its stat, and the
    /// boot time); nil when there is no such process.
    static func startTime(of pid: Int32) -> Date? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]), let boot = bootTime else { return nil }
        return Date(timeIntervalSince1970: boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// The boot time, in seconds since 1970 (`btime` of /proc/stat).
    static let bootTime: Double? = {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap {
            Double($0.dropFirst("btime ".count))
        }
    }()
}
