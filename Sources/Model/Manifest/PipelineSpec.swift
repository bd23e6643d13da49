/// The desired state of one pipeline: what it watches, what it runs, what happens to files after.
public struct PipelineSpec: Sendable, Hashable, Codable {
    /// Stops intake: files stay pending until the pipeline is resumed.
    public var suspend: Bool
    public var watch: WatchSpec
    public var run: RunSpec
    public var onSuccess: FileAction
    public var onFailure: FileAction

    public init(
        suspend: Bool = false,
        watch: WatchSpec,
        run: RunSpec,
        onSuccess: FileAction = .keep,
        onFailure: FileAction = .keep
    ) {
        self.suspend = suspend
        self.watch = watch
        self.run = run
        self.onSuccess = onSuccess
        self.onFailure = onFailure
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case suspend, watch, run, onSuccess, onFailure
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        suspend = errors.decode(container, .suspend, default: false)
        let watch: WatchSpec? = errors.require(container, .watch)
        let run: RunSpec? = errors.require(container, .run)
        onSuccess = errors.decode(container, .onSuccess, default: .keep)
        onFailure = errors.decode(container, .onFailure, default: .keep)
        try errors.finish()
        self.watch = watch!
        self.run = run!
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(suspend, forKey: .suspend, unlessDefault: false, encoder)
        try container.encode(watch, forKey: .watch)
        try container.encode(run, forKey: .run)
        try container.encode(onSuccess, forKey: .onSuccess, unlessDefault: .keep, encoder)
        try container.encode(onFailure, forKey: .onFailure, unlessDefault: .keep, encoder)
    }
}
