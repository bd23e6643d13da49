import Foundation
import Model

/// `onSuccess` / `onFailure`: performs the moves and deletes the ledger owes, once their outcome
/// is committed, and words what goes wrong (`cannot move a.csv to /x/failed: /x/failed is a file`).
enum FileActions {
    /// Attempts `pending`. Done, it leaves the ledger; failed, it is stored with its error and
    /// next attempt, and the error is returned. A file that holds another content by now is
    /// left alone for the next plan, and a file already gone owes nothing.
    static func attempt(
        _ pending: PendingFileAction,
        of pipeline: Pipeline,
        manifestFile: String,
        store: any StateStore,
        now: Date
    ) throws -> String? {
        let root = Observer.root(of: pipeline, manifestFile: manifestFile)
        let path = root + "/" + pending.path
        let label = "\(pipeline.name)/\(pending.path)"
        guard let stat = FileStat.of(path) else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: true)
            return nil
        }
        guard let observed = try store.observation(pipeline: pipeline.name, path: pending.path),
            observed.sha256 == pending.sha256,
            stat.isUnchanged(since: observed)
        else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: false)
            return "\(label): changed since it was processed; left in place"
        }
        let failure: String?
        switch pending.action {
        case .keep:
            failure = nil
        case .delete:
            failure =
                path.withSystemPath(unlink) == 0 || errno == ENOENT
                ? nil : "cannot delete \(pending.path): \(reason(errno))"
        case .move(let folder):
            let base = PathResolution.resolve(
                folder,
                relativeTo: PathResolution.directory(of: Observer.absolute(manifestFile))
            )
            failure = move(path, named: pending.path, into: base, sha256: pending.sha256)
        }
        guard let failure else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: true)
            return nil
        }
        let failed = pending.failed(failure, at: now)
        try store.saveFileAction(failed)
        return
            "\(label): \(failure) (attempt \(failed.attempts), tried again from \(PlanText.timestamp(failed.nextAttemptAt)))"
    }

    /// Moves `path` to `base/relative`, keeping its subfolders; a name already taken gets the
    /// content's hash as a suffix. Returns the problem, worded, or `nil`.
    private static func move(_ path: String, named relative: String, into base: String, sha256: String) -> String? {
        var target = base + "/" + relative
        let problem = { (reason: String) in "cannot move \(relative) to \(base): \(reason)" }
        if let blocked = makeFolders(PathResolution.directory(of: target)) { return problem(blocked) }
        if FileStat.of(target) != nil { target += "." + sha256.prefix(12) }
        if path.withSystemPath({ source in target.withSystemPath { rename(source, $0) } }) == 0 { return nil }
        guard errno == EXDEV else { return problem(reason(errno)) }
        // Another file system: copy under a hidden name, flush, rename into place, then remove
        // the original. A crash mid-copy leaves the hidden file (replaced at the next attempt),
        // never a truncated file under the real name.
        let partial = PathResolution.directory(of: target) + "/.orchestrator-partial-" + sha256.prefix(12)
        _ = partial.withSystemPath(unlink)
        if let failed = copy(path, to: partial) { return problem("copying across file systems failed: \(failed)") }
        guard partial.withSystemPath({ from in target.withSystemPath { rename(from, $0) } }) == 0 else {
            let failure = reason(errno)
            _ = partial.withSystemPath(unlink)
            return problem("copied, but the copy cannot be named \(target): \(failure)")
        }
        return path.withSystemPath(unlink) == 0
            ? nil : problem("copied, but the original cannot be removed: \(reason(errno))")
    }

    /// Copies a file's bytes to a new file and syncs it; returns the reason it failed, or `nil`.
    /// A partial copy is removed.
    private static func copy(_ source: String, to target: String) -> String? {
        let input = source.withSystemPath { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        guard input >= 0 else { return reason(errno) }
        defer { close(input) }
        let output = target.withSystemPath { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard output >= 0 else { return reason(errno) }
        var failure: String?
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                failure = reason(errno)
                break
            }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                guard step > 0 else {
                    failure = reason(errno)
                    break copying
                }
                written += step
            }
        }
        if failure == nil, fsync(output) != 0 { failure = reason(errno) }
        close(output)
        if failure != nil { _ = target.withSystemPath(unlink) }
        return failure
    }

    /// `mkdir -p`, saying which component is in the way: "/x/failed is a file".
    private static func makeFolders(_ folder: String) -> String? {
        var current = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            current += "/" + component
            if let stat = FileStat.ofRoot(current) {
                if !stat.isDirectory { return "\(current) is a file" }
                continue
            }
            if current.withSystemPath({ mkdir($0, 0o755) }) != 0, errno != EEXIST {
                return "cannot create \(current): \(reason(errno))"
            }
        }
        return nil
    }

    private static func reason(_ code: Int32) -> String {
        code == ENOTDIR ? "a component of the path is a file" : String(cString: strerror(code))
    }
}
