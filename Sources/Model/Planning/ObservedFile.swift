import Foundation

/// A file of a watched folder as the observer found it, ready to be planned.
public struct ObservedFile: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Unchanged for `settle` and hashed: its content can be processed.
        case ready
        /// Still being written (changed within `settle`, or changed while hashed).
        case settling
        /// Zero bytes: skipped, since an empty upload is almost always a failed one.
        case empty
    }

    /// Path relative to `watch.path`.
    public var path: String
    public var status: Status
    public var size: Int64
    /// The content's SHA-256, for ready files.
    public var sha256: String?
    /// The content this path had when last observed, when it differs (a re-upload).
    public var previousSHA256: String?
    /// For a settling file: when it will be ready if nothing changes it meanwhile.
    public var readyAt: Date?

    public init(
        path: String,
        status: Status,
        size: Int64,
        sha256: String? = nil,
        previousSHA256: String? = nil,
        readyAt: Date? = nil
    ) {
        self.path = path
        self.status = status
        self.size = size
        self.sha256 = sha256
        self.previousSHA256 = previousSHA256
        self.readyAt = readyAt
    }
}

/// What the observer found for one pipeline.
public struct ObservedFolder: Sendable, Hashable {
    public var files: [ObservedFile]
    /// Why the folder could not be read, if it could not (it does not exist, no permission).
    public var problem: String?
    /// Symbolic links inside the folder, which are not followed.
    public var ignoredLinks: Int

    public init(files: [ObservedFile] = [], problem: String? = nil, ignoredLinks: Int = 0) {
        self.files = files
        self.problem = problem
        self.ignoredLinks = ignoredLinks
    }

    /// The earliest time a settling file may become ready: when to look again.
    public var nextReady: Date? { files.compactMap(\.readyAt).min() }
}
