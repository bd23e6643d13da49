import Foundation
import Model

/// Reads a pipelines folder as it was at a revision of its enclosing git repository, with
/// `git` itself (`rev-parse`, `ls-tree`, `cat-file`): no checkout, no work tree touched, so a CI
/// job can diff a pull request against its target branch in the clone it already has.
public enum GitManifests {
    /// Why a revision could not be read.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "error: \(message)" }
    }

    /// The manifests of `folder` at `revision`, named as if they stood in `folder` (relative paths
    /// then compare by what they say). A folder absent at that revision has no manifests.
    public static func load(_ folder: String, revision: String) throws(Failure) -> ManifestSet {
        guard !revision.hasPrefix("-") else { throw Failure(message: "bad revision \"\(revision)\"") }
        let prefix: String
        do {
            prefix = text(try git(folder, ["rev-parse", "--show-prefix"])).trimmingCharacters(in: .newlines)
        } catch {
            throw Failure(message: "\(folder) is not in a git repository (\(error.message))")
        }
        let commit: String
        do {
            commit = text(
                try git(folder, ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"])
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw Failure(message: "\(revision): not a commit of the git repository that holds \(folder)")
        }
        let tree = "\(commit):\(prefix)"
        guard (try? git(folder, ["cat-file", "-e", tree])) != nil else { return ManifestSet(documents: []) }
        var files: [(name: String, content: Result<Data, BoundedFile.Problem>)] = []
        // --full-tree: from inside the folder, ls-tree would also filter the tree by that folder.
        for entry in try git(folder, ["ls-tree", "-z", "--full-tree", tree]).split(separator: 0) {
            // "<mode> <type> <object>\t<name>"
            guard let tab = entry.firstIndex(of: UInt8(ascii: "\t")) else { continue }
            let fields = entry[..<tab].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            let name = String(decoding: entry[(tab + 1)...], as: UTF8.self)
            guard fields.count == 3, fields[1] == "blob", ManifestDirectory.isManifestName(name) else { continue }
            guard fields[0] != "120000" else {
                files.append((name, .failure(.notARegularFile)))
                continue
            }
            let content = try git(folder, ["cat-file", "blob", fields[2]])
            files.append(
                (
                    name,
                    content.count <= ManifestDocument.maxFileSize
                        ? .success(content) : .failure(.tooLarge(limit: ManifestDocument.maxFileSize))
                )
            )
        }
        return ManifestDirectory.parse(files, in: folder)
    }

    private static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// Runs `git -C folder ARGUMENTS` (an argv, no shell) and returns its standard output.
    private static func git(_ folder: String, _ arguments: [String]) throws(Failure) -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(message: "cannot run git: \(error.localizedDescription)")
        }
        // Reading before waiting: a large blob would otherwise fill the pipe and block git.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = text(errors.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                message: "git \(arguments.first ?? ""): "
                    + (message.isEmpty
                        ? "exit status \(process.terminationStatus)"
                        : message.trimmingCharacters(in: .whitespacesAndNewlines))
            )
        }
        return data
    }
}
