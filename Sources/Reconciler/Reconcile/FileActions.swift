import Foundation
import Model

/// `onSuccess` / `onFailure`: keep, delete or move a file, once its outcome is in the ledger.
enum FileActions {
    /// Performs `action`; returns a problem to report, or nil. A file whose stat changed since it
    /// was observed holds new content, and is left alone for the next reconcile.
    static func perform(_ action: FileAction, on file: FileChange, of pipeline: Pipeline, manifestFile: String, store: any StateStore) -> String? {
        guard action != .keep else { return nil }
        let root = Observer.root(of: pipeline, manifestFile: manifestFile)
        let path = root + "/" + file.path
        let label = "\(pipeline.name)/\(file.path)"
        guard let observed = try? store.observation(pipeline: pipeline.name, path: file.path), observed.sha256 == file.sha256,
              let stat = FileStat.of(path), stat.isUnchanged(since: observed) else {
            return "\(label): changed since it was processed; left in place"
        }
        do {
            switch action {
            case .keep:
                return nil
            case .delete:
                try FileManager.default.removeItem(atPath: path)
            case .move(let folder):
                let base = PathResolution.resolve(folder, relativeTo: PathResolution.directory(of: Observer.absolute(manifestFile)))
                var target = base + "/" + file.path
                try FileManager.default.createDirectory(atPath: PathResolution.directory(of: target), withIntermediateDirectories: true)
                if FileManager.default.fileExists(atPath: target) { target += "." + file.sha256.prefix(12) }
                try FileManager.default.moveItem(atPath: path, toPath: target)
            }
            try store.saveObservations([], removing: [file.path], pipeline: pipeline.name)
            return nil
        } catch {
            return "\(label): \(action) failed: \(error.localizedDescription)"
        }
    }
}
