/// A run in a container, through the docker or podman command-line client.
///
/// The orchestrator adds `run --rm --name <unique> --env-file <run env>` itself: the name is how
/// it kills the container on timeout (killing only the client would leave the container running).
public struct ContainerSpec: Sendable, Hashable, Codable {
    public enum Runtime: String, Sendable, Hashable, Codable, CaseIterable {
        case docker, podman
    }

    public var image: String
    /// Arguments after the image: the container's command line.
    public var args: [Template]
    /// Options of `docker run` before the image, such as `--network=host`.
    public var options: [Template]
    /// Volumes, each `SOURCE:TARGET[:MODE]` as `docker run -v` takes it.
    public var volumes: [Template]
    public var runtime: Runtime

    public init(
        image: String,
        args: [Template] = [],
        options: [Template] = [],
        volumes: [Template] = [],
        runtime: Runtime = .docker
    ) {
        self.image = image
        self.args = args
        self.options = options
        self.volumes = volumes
        self.runtime = runtime
    }

    /// Options that would defeat the orchestrator's control of the container.
    static let forbiddenOptions: [String: String] = [
        "--name": "the orchestrator names each container, to kill it on timeout",
        "-d": "a detached container would outlive its run",
        "--detach": "a detached container would outlive its run",
    ]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case image, args, options, volumes, runtime
    }

    public var templates: [Template] { args + options + volumes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        image = errors.require(container, .image) ?? ""
        args = errors.decode(container, .args, default: [])
        options = errors.decode(container, .options, default: [])
        volumes = errors.decode(container, .volumes, default: [])
        runtime = errors.decode(container, .runtime, default: .docker)
        if container.contains(.image), image.isEmpty || image.contains(where: \.isWhitespace) {
            errors.fail(
                at: decoder.yamlLocation(of: CodingKeys.image),
                "the image must be a non-empty name without spaces"
            )
        }
        for option in options {
            let flag = String(option.source.split(separator: "=", maxSplits: 1).first ?? "")
            if let reason = ContainerSpec.forbiddenOptions[flag] {
                errors.fail(at: option.location, "option \(flag) is not allowed: \(reason)")
            }
        }
        for volume in volumes where !volume.source.contains(":") {
            errors.fail(at: volume.location, "a volume is SOURCE:TARGET[:MODE], found \"\(volume.source)\"")
        }
        try errors.finish()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(image, forKey: .image)
        try container.encode(args, forKey: .args, unlessDefault: [], encoder)
        try container.encode(options, forKey: .options, unlessDefault: [], encoder)
        try container.encode(volumes, forKey: .volumes, unlessDefault: [], encoder)
        try container.encode(runtime, forKey: .runtime, unlessDefault: .docker, encoder)
    }
}
