/// What a pipeline watches: a folder, which files in it, and when a file counts as ready.
public struct WatchSpec: Sendable, Hashable, Codable {
    /// The folder, absolute or relative to the manifest's folder.
    public var path: String
    /// Globs a file's relative path must match (any of them); empty means every file.
    public var include: [Glob]
    /// Globs that exclude a file, on top of `WatchSpec.builtInExcludes`.
    public var exclude: [Glob]
    /// A POSIX ERE the relative path must match (the legacy `WATCH_REGEX`).
    public var regex: ExtendedRegex?
    /// Whether files in subfolders count.
    public var recursive: Bool
    /// How long size, mtime and ctime must stay unchanged before a file is ready.
    public var settle: TimeSpan
    /// Zero: inotify plus periodic rescans. Positive: poll at this interval (NFS, SMB).
    public var poll: TimeSpan

    public static let defaultSettle = TimeSpan.seconds(2)

    /// Files no pipeline wants: hidden files and the temporary names of uploads, downloads and
    /// office programs.
    public static let builtInExcludes: [Glob] = [".*", "*.tmp", "*.part", "*.filepart", "~$*"].map { try! Glob($0) }

    public init(
        path: String,
        include: [Glob] = [],
        exclude: [Glob] = [],
        regex: ExtendedRegex? = nil,
        recursive: Bool = true,
        settle: TimeSpan = WatchSpec.defaultSettle,
        poll: TimeSpan = .zero
    ) {
        self.path = path
        self.include = include
        self.exclude = exclude
        self.regex = regex
        self.recursive = recursive
        self.settle = settle
        self.poll = poll
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, include, exclude, regex, recursive, settle, poll
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        path = errors.require(container, .path) ?? ""
        include = errors.decode(container, .include, default: [])
        exclude = errors.decode(container, .exclude, default: [])
        regex = errors.decodeIfPresent(container, .regex)
        recursive = errors.decode(container, .recursive, default: true)
        settle = errors.decode(container, .settle, default: WatchSpec.defaultSettle)
        poll = errors.decode(container, .poll, default: .zero)
        if container.contains(.path), path.isEmpty {
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.path), "the path must not be empty")
        }
        try errors.finish()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(include, forKey: .include, unlessDefault: [], encoder)
        try container.encode(exclude, forKey: .exclude, unlessDefault: [], encoder)
        try container.encodeIfPresent(regex, forKey: .regex)
        try container.encode(recursive, forKey: .recursive, unlessDefault: true, encoder)
        try container.encode(settle, forKey: .settle, unlessDefault: WatchSpec.defaultSettle, encoder)
        try container.encode(poll, forKey: .poll, unlessDefault: .zero, encoder)
    }
}
