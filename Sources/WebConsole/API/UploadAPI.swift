import Crypto
import Foundation
import HTTPServer
import Hummingbird
import Model
import Reconciler

extension Console {
    struct Uploaded: Encodable {
        let pipeline: String
        let path: String
        let size: Int64
        let sha256: String
    }

    /// `PUT /api/v1/pipelines/NAME/upload/FILENAME`: the body is streamed to a hidden name in
    /// the pipeline's folder (which the pipeline's built-in excludes skip), fsynced, then renamed
    /// into place without replacing an existing file. The daemon then sees a complete file
    /// appear at once, as with any atomic drop.
    func registerUpload(on router: Router<ServerContext>) {
        router.put("api/v1/pipelines/:name/upload/:filename") { request, context -> Response in
            let name = try context.parameters.require("name")
            let caller = try await caller(request, context, may: .upload(pipeline: name), what: "upload to \(name)")
            // The router hands the path segment over as sent: decoded here, then checked, so
            // that an encoded `/`, dot or control character is refused like a plain one.
            guard let filename = try context.parameters.require("filename").removingPercentEncoding else {
                throw ConsoleError(.unprocessableContent, "the file name is not valid percent-encoded UTF-8")
            }
            if let problem = UploadName.problem(filename) { throw ConsoleError(.unprocessableContent, problem) }
            let target = try await uploadTarget(pipeline: name, filename: filename)
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > uploadLimit {
                throw ConsoleError(
                    .contentTooLarge,
                    "the file is \(length) bytes; the most an upload may hold is \(uploadLimit)"
                )
            }
            let upload = try UploadFile(folder: target.folder)
            var hasher = SHA256()
            var size: Int64 = 0
            do {
                for try await chunk in request.body {
                    size += Int64(chunk.readableBytes)
                    if size > uploadLimit {
                        throw ConsoleError(
                            .contentTooLarge,
                            "the file is over \(uploadLimit) bytes, the most an upload may hold"
                        )
                    }
                    try chunk.withUnsafeReadableBytes { bytes in
                        hasher.update(bufferPointer: bytes)
                        try upload.write(bytes)
                    }
                }
                try upload.commit(as: filename)
            } catch {
                upload.discard()
                throw error
            }
            let sha = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            await audit(caller, .upload, "\(name)/\(filename)", "\(size) bytes, sha256 \(sha)")
            return JSON.response(Uploaded(pipeline: name, path: filename, size: size, sha256: sha), status: .created)
        }
    }

    /// The folder an upload for `pipeline` goes to, after checking the name against its filter.
    func uploadTarget(pipeline name: String, filename: String) async throws -> (folder: String, pipeline: Pipeline) {
        let (store, folder) = (self.store, catalog.gitFolder)
        let found = try await Blocking.run { () -> (Pipeline, String)? in
            let manifests = try DesiredState.load(folder, database: store)
            if let valid = manifests.pipelines.first(where: { $0.pipeline.name == name }) { return valid }
            return try store.appliedSpecs().first { $0.name == name }.map { ($0.pipeline, $0.file) }
        }
        guard let (pipeline, file) = found else { throw ConsoleError.notFound("no pipeline \(name)") }
        guard (try? WatchFilter(pipeline.spec.watch))?.accepts(filename) == true else {
            throw ConsoleError(
                .unprocessableContent,
                "\(filename) does not match the files pipeline \(name) takes (its include, exclude and regex)"
            )
        }
        let root = Observer.root(of: pipeline, manifestFile: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConsoleError(.conflict, "the folder of pipeline \(name) (\(root)) does not exist")
        }
        return (root, pipeline)
    }
}

/// A file being uploaded: a hidden temporary name in the target folder, made private, renamed
/// into place only once complete and on disk.
final class UploadFile: @unchecked Sendable {
    let folder: String
    let temporary: String
    private let descriptor: Int32
    private var isOpen = true

    init(folder: String) throws {
        self.folder = folder
        temporary = folder + "/.orchestrator-upload-" + UUID().uuidString.lowercased()
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard descriptor >= 0 else {
            throw ConsoleError(.internalServerError, "cannot write to \(folder): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ConsoleError(.internalServerError, "cannot write the file: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// fsyncs, then renames the file to `name` without replacing an existing file: the name is
    /// first reserved with an exclusive create (an empty file, which pipelines skip), then the
    /// complete file is renamed over the reservation, so the daemon sees one atomic move in.
    func commit(as name: String) throws {
        guard fsync(descriptor) == 0 else {
            throw ConsoleError(.internalServerError, "cannot sync the file: \(String(cString: strerror(errno)))")
        }
        closeOnce()
        let target = folder + "/" + name
        let reservation = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard reservation >= 0 else {
            let exists = errno == EEXIST
            let reason = exists ? "a file named \(name) is already in the folder" : String(cString: strerror(errno))
            throw ConsoleError(exists ? .conflict : .internalServerError, reason)
        }
        close(reservation)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(target)
            throw ConsoleError(.internalServerError, "cannot move the file into place: \(reason)")
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Removes the temporary file (a refused or broken upload leaves nothing behind).
    func discard() {
        closeOnce()
        unlink(temporary)
    }

    private func closeOnce() {
        if isOpen { close(descriptor) }
        isOpen = false
    }
}
