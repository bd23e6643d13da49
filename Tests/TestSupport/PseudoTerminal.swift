import Foundation

/// Runs a command on a real pseudo-terminal (util-linux `script`), as a person at a terminal
/// would see it: what is drawn for terminals only, such as progress lines, shows up.
public enum PseudoTerminal {
    /// Whether `script` is here to make a pseudo-terminal.
    public static let isAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

    /// Runs `arguments` (in `directory`, when given) and returns its exit status and everything
    /// it drew on the terminal.
    public static func run(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, screen: String)
    {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(
            separator: " "
        )
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", directory.map { "cd '\($0)' && " + quoted } ?? quoted, "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let screen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, screen)
    }
}
