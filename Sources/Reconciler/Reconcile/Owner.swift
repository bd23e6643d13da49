import Foundation
import Glibc

/// Who holds a claim: host, process id and the process's start time, so that a claim left by a
/// dead process is recognised even after its pid is reused.
public struct Owner: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var startTime: String

    /// This process.
    public static let current = Owner(
        host: ProcessInfo.processInfo.hostName,
        pid: getpid(),
        startTime: Owner.startTime(of: getpid()) ?? "?"
    )

    public init(host: String, pid: Int32, startTime: String) {
        self.host = host
        self.pid = pid
        self.startTime = startTime
    }

    /// Parses `host:pid:start`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { return nil }
        self.init(host: parts.dropLast(2).joined(separator: ":"), pid: pid, startTime: String(parts[parts.count - 1]))
    }

    public var description: String { "\(host):\(pid):\(startTime)" }

    /// Whether the owner is certainly gone: same host, and no process with its pid and start time.
    /// An owner on another host is presumed alive.
    public var isDeadOnThisHost: Bool {
        guard host == Owner.current.host else { return false }
        return Owner.startTime(of: pid) != startTime
    }

    /// The start time of a process (field 22 of /proc/PID/stat), or nil when it does not exist.
    static func startTime(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
