import Foundation
import Model

/// Reads the desired state: every `*.yaml` and `*.yml` file of a pipelines folder.
///
/// This is the only part of loading that touches the file system; parsing and validation are
/// the pure `ManifestDocument.parse` and `ManifestSet`.
public enum ManifestDirectory {
    /// Why a pipelines folder could not be read at all.
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case notADirectory(String)

        public var description: String {
            switch self {
            case .notFound(let path):
                return """
                    \(path): error: no such folder of pipeline manifests
                      point at yours with --pipelines DIR, or make one from legacy watcher configs with
                      orchestrator convert CONFIG.conf... -o \(path)
                    """
            case .notADirectory(let path): return "\(path): error: not a folder"
            }
        }
    }

    /// Loads every manifest in `path`, in a stable order. Files that cannot be read become diagnostics, not thrown errors.
    public static func load(_ path: String) throws(LoadError) -> ManifestSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path) }
        guard isDirectory.boolValue else { throw .notADirectory(path) }
        var documents: [ManifestDocument] = []
        var fileDiagnostics: [Diagnostic] = []
        for file in manifestFiles(in: path) {
            let data: Data
            switch BoundedFile.read(file, limit: ManifestDocument.maxFileSize) {
            case .success(let bytes): data = bytes
            case .failure(let problem):
                fileDiagnostics.append(Diagnostic(.error, file: file, at: .start, Self.explain(problem)))
                continue
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                fileDiagnostics.append(Diagnostic(.error, file: file, at: .start, "the file is not valid UTF-8"))
                continue
            }
            let parsed = ManifestDocument.parse(text, file: file)
            if parsed.isEmpty {
                fileDiagnostics.append(Diagnostic(.warning, file: file, at: .start, "the file holds no manifest"))
            }
            documents += parsed
        }
        return ManifestSet(documents: documents, fileDiagnostics: fileDiagnostics)
    }

    private static func explain(_ problem: BoundedFile.Problem) -> String {
        switch problem {
        case .unreadable: return problem.description
        case .notARegularFile: return "not a regular file; a manifest must be a file"
        case .tooLarge: return "\(problem), the most a manifest file may hold; split it"
        }
    }

    /// The manifest files directly in `path` (not in subfolders, which can hold examples or
    /// drafts, as with `kubectl apply -f DIR`), sorted, as paths that start with `path`.
    ///
    /// An entry that cannot be looked at, such as a symlink to a missing file, is listed: it is
    /// reported as unreadable, which keeps its pipelines, rather than taken for a removed file.
    static func manifestFiles(in path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return
            names
            .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
            .sorted()
            .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
            .filter { file in
                var isDirectory: ObjCBool = false
                return !FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
                    || !isDirectory.boolValue
            }
    }
}
