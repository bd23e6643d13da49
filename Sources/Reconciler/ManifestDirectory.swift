import Crypto
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
    ///
    /// With `folder`, the files are named as if they stood there: `diff OLD NEW` reads the old
    /// manifests as if in the new folder, so that a relative `watch.path` compares by what it says.
    public static func load(_ path: String, as folder: String? = nil) throws(LoadError) -> ManifestSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path) }
        guard isDirectory.boolValue else { throw .notADirectory(path) }
        let files = manifestFiles(in: path).map { file in
            (name: ManifestSet.fileName(file), content: BoundedFile.read(file, limit: ManifestDocument.maxFileSize))
        }
        return parse(files, in: folder ?? path)
    }

    /// Parses manifest files read from anywhere (the folder, a git revision), named as in `folder`.
    static func parse(
        _ files: [(name: String, content: Result<Data, BoundedFile.Problem>)],
        in folder: String
    )
        -> ManifestSet
    {
        var documents: [ManifestDocument] = []
        var fileDiagnostics: [Diagnostic] = []
        var sources: [String: String] = [:]
        for (name, content) in files {
            let file = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            let data: Data
            switch content {
            case .success(let bytes): data = bytes
            case .failure(let problem):
                fileDiagnostics.append(Diagnostic(.error, file: file, at: .start, Self.explain(problem)))
                continue
            }
            sources[name] = SHA256.hash(data: data).hex
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
        return ManifestSet(documents: documents, fileDiagnostics: fileDiagnostics, sources: sources)
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
            .filter(isManifestName)
            .sorted()
            .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
            .filter { file in
                var isDirectory: ObjCBool = false
                return !FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
                    || !isDirectory.boolValue
            }
    }

    /// Whether a file name in a pipelines folder names a manifest: `*.yaml` and `*.yml`, not hidden.
    static func isManifestName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
    }
}
