import Foundation
import Glibc
import Testing

/// The daemon's HTTP side: a failed bind stops the daemon with the error; IPv6 literals work.
@Suite("orchestrator run --listen", .serialized)
struct ListenTests {
    /// A TCP socket listening on a free port of `127.0.0.1`, and that port.
    private func takePort() throws -> (socket: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        try #require(bound)
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func aPortAlreadyTakenStopsTheDaemonWithTheError() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("rec", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
        let (socket, port) = try takePort()
        defer { close(socket) }
        let daemon = try DaemonProcess(workspace, arguments: ["--listen", "127.0.0.1:\(port)"], log: "out/daemon.log")
        try await waitUntil("the daemon exits") { !daemon.process.isRunning }
        #expect(daemon.process.terminationStatus == 1)
        #expect(daemon.log.contains("cannot serve HTTP on 127.0.0.1:\(port)"), "\(daemon.log)")
        #expect(daemon.log.contains("Address already in use"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/net/if_inet6"), "no IPv6 on this host"))
    func anIPv6LiteralInBrackets() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("rec", "  watch: {path: ../data/in, settle: 0s}\n  run: {command: [\"true\"]}\n")
        let daemon = try DaemonProcess(workspace, arguments: ["--listen", "[::1]:0"], log: "out/daemon.log")
        try await waitUntil("the daemon listens on ::1") {
            daemon.log.contains("::1") && daemon.log.contains("listening") || !daemon.process.isRunning
        }
        #expect(daemon.process.isRunning, "\(daemon.log)")
        #expect(try await daemon.stop() == 0)
    }
}
