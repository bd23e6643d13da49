import ArgumentParser
import Foundation
import Model

extension SavedPlan {
    /// Reads the planfile at `path`, or exits 1 with a clear message.
    static func read(_ path: String) throws -> SavedPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            Terminal.err("\(path.terminalSafe): error: cannot read the planfile")
            throw ExitCode.failure
        }
        do {
            return try SavedPlan.decode(data, file: path)
        } catch {
            Terminal.err(error.description.terminalSafe)
            throw ExitCode.failure
        }
    }
}
