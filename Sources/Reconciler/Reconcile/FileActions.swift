import Foundation
import Model

/// `onSuccess` / `onFailure`: performs the moves and deletes the ledger owes, once their outcome
/// is committed, and words what goes wrong (`cannot move a.csv to /x/failed: /x/failed is a file`).
enum FileActions {
    /// Attempts `pending`. Done, it leaves the ledger; failed, it is stored with its error and
    /// next attempt, and the error is returned. A file that holds another content by now is
    /// left alone for the next plan, and a file already gone owes nothing.
    static func attempt(_ pending: PendingFileAction, of pipeline: Pipeline, manifestFile: String, store: any StateStore, now: Date) throws -> String? {
        let root = Observer.root(of: pipeline, manifestFile: manifestFile)
        let path = root + "/" + pending.path
        let label = "\(pipeline.name)/\(pending.path)"
        guard let stat = FileStat.of(path) else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: true)
            return nil
        }
        guard let observed = try store.observation(pipeline: pipeline.name, path: pending.path), observed.sha256 == pending.sha256,
              stat.isUnchanged(since: observed) else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: false)
            return "\(label): changed since it was processed; left in place"
        }
        let failure: String?
        switch pending.action {
        case .keep:
            failure = nil
        case .delete:
            failure = unlink(path) == 0 || errno == ENOENT ? nil : "cannot delete \(pending.path): \(reason(errno))"
        case .move(let folder):
            let base = PathResolution.resolve(folder, relativeTo: PathResolution.directory(of: Observer.absolute(manifestFile)))
            failure = move(path, named: pending.path, into: base, sha256: pending.sha256)
        }
        guard let failure else {
            try store.finishFileAction(pipeline: pipeline.name, path: pending.path, fileLeft: true)
            return nil
        }
        let failed = pending.failed(failure, at: now)
        try store.saveFileAction(failed)
        return "\(label): \(failure) (attempt \(failed.attempts), tried again from \(PlanText.timestamp(failed.nextAttemptAt)))"
    }

    /// Moves `path` to `base/relative`, keeping its subfolders; a name already taken gets the
    /// content's hash as a suffix. Returns the problem, worded, or `nil`.
    private static func move(_ path: String, named relative: String, into base: String, sha256: String) -> String? {
        var target = base + "/" + relative
        let problem = { (reason: String) in "cannot move \(relative) to \(base): \(reason)" }
        if let blocked = makeFolders(PathResolution.directory(of: target)) { return problem(blocked) }
        if FileStat.of(target) != nil { target += "." + sha256.prefix(12) }
        if rename(path, target) == 0 { return nil }
        guard errno == EXDEV else { return problem(reason(errno)) }
        // Another file system: copy, flush, then remove the original; a failed copy is removed.
        do {
            try FileManager.default.copyItem(atPath: path, toPath: target)
            let descriptor = open(target, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            return problem("copying across file systems failed: \(error.localizedDescription)")
        }
        return unlink(path) == 0 ? nil : problem("copied, but the original cannot be removed: \(reason(errno))")
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
            if mkdir(current, 0o755) != 0, errno != EEXIST { return "cannot create \(current): \(reason(errno))" }
        }
        return nil
    }

    private static func reason(_ code: Int32) -> String {
        code == ENOTDIR ? "a component of the path is a file" : String(cString: strerror(code))
    }
}
