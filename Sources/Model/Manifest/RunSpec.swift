import YAML

/// How a pipeline processes one file.
public struct RunSpec: Sendable, Hashable, Codable {
    /// What runs: an argv, or a container.
    public enum Target: Sendable, Hashable {
        case command([Template])
        case container(ContainerSpec)
    }

    public var target: Target
    /// The child's working folder, absolute or relative to the manifest's folder.
    public var workingDir: String?
    public var env: Environment
    /// How long one run may take; zero for no limit.
    public var timeout: TimeSpan
    /// How many files of this pipeline run at once.
    public var concurrency: Int
    /// Further attempts after a failure, before the content is quarantined.
    public var retries: Int
    /// The first delay before a retry; it doubles with each attempt, with jitter.
    public var backoff: TimeSpan

    public static let defaultTimeout = TimeSpan.hours(1)
    public static let defaultBackoff = TimeSpan.seconds(30)
    public static let defaultRetries = 3

    public init(
        target: Target,
        workingDir: String? = nil,
        env: Environment = Environment(),
        timeout: TimeSpan = RunSpec.defaultTimeout,
        concurrency: Int = 1,
        retries: Int = RunSpec.defaultRetries,
        backoff: TimeSpan = RunSpec.defaultBackoff
    ) {
        self.target = target
        self.workingDir = workingDir
        self.env = env
        self.timeout = timeout
        self.concurrency = concurrency
        self.retries = retries
        self.backoff = backoff
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case command, container, workingDir, env, timeout, concurrency, retries, backoff
    }

    /// Every template of the target (argv, or container args, options and volumes).
    public var targetTemplates: [Template] {
        switch target {
        case .command(let argv): return argv
        case .container(let container): return container.templates
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        let command: [Template]? = errors.decodeIfPresent(container, .command)
        let image: ContainerSpec? = errors.decodeIfPresent(container, .container)
        workingDir = errors.decodeIfPresent(container, .workingDir)
        let decodedEnv = errors.attempt { try container.decodeIfPresent(Environment.self, forKey: .env) }
        env = (decodedEnv ?? nil) ?? Environment()
        timeout = errors.decode(container, .timeout, default: RunSpec.defaultTimeout)
        concurrency = errors.decode(container, .concurrency, default: 1)
        retries = errors.decode(container, .retries, default: RunSpec.defaultRetries)
        backoff = errors.decode(container, .backoff, default: RunSpec.defaultBackoff)
        errors.check(concurrency, in: 1...256, decoder, CodingKeys.concurrency)
        errors.check(retries, in: 0...100, decoder, CodingKeys.retries)
        if backoff.isZero {
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.backoff), "the backoff must be longer than 0s")
        }

        switch (container.contains(.command), container.contains(.container)) {
        case (true, true):
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.container), "set either command or container, not both")
        case (false, false):
            errors.fail(at: decoder.yamlLocation, "missing command or container: set exactly one")
        default:
            break
        }
        if let command, command.isEmpty || command[0].source.isEmpty {
            errors.fail(
                at: decoder.yamlLocation(of: CodingKeys.command),
                "the command must name a program: [\"program\", \"arg\", …]"
            )
        }
        target = command.map(Target.command) ?? image.map(Target.container) ?? .command([])
        // With a broken env, every reference to it would look unknown: report the env alone.
        for problem in decodedEnv == nil ? [] : RunSpec.referenceProblems(targetTemplates, env) {
            errors.fail(at: problem.location, problem.message)
        }
        try errors.finish()
    }

    /// References to `run.env` keys that do not exist, `${run.envFile}` inside the env it lists,
    /// and env keys that refer to each other in a cycle.
    static func referenceProblems(
        _ templates: [Template],
        _ env: Environment
    ) -> [(location: NodeLocation?, message: String)] {
        var problems: [(NodeLocation?, String)] = []
        let names = Set(env.names)
        for template in templates {
            for case .env(let name) in template.references where !names.contains(name) {
                problems.append(
                    (template.location, "unknown template reference ${\(name)}: run.env has no key \(name)")
                )
            }
        }
        var edges: [String: [String]] = [:]
        for entry in env.entries {
            guard case .value(let template) = entry.value else { continue }
            for reference in template.references {
                switch reference {
                case .env(let name) where !names.contains(name):
                    problems.append(
                        (template.location, "unknown template reference ${\(name)}: run.env has no key \(name)")
                    )
                case .env(let name):
                    edges[entry.name, default: []].append(name)
                case .runEnvFile:
                    problems.append(
                        (template.location, "${run.envFile} cannot be used inside run.env, which that file lists")
                    )
                default:
                    break
                }
            }
        }
        for entry in env.entries where RunSpec.reaches(entry.name, from: entry.name, edges) {
            if case .value(let template) = entry.value {
                problems.append(
                    (template.location, "run.env key \(entry.name) refers to itself through ${…} references")
                )
            }
        }
        return problems
    }

    private static func reaches(_ target: String, from start: String, _ edges: [String: [String]]) -> Bool {
        var seen: Set<String> = []
        var stack = edges[start] ?? []
        while let next = stack.popLast() {
            if next == target { return true }
            if seen.insert(next).inserted { stack += edges[next] ?? [] }
        }
        return false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch target {
        case .command(let argv): try container.encode(argv, forKey: .command)
        case .container(let spec): try container.encode(spec, forKey: .container)
        }
        try container.encodeIfPresent(workingDir, forKey: .workingDir)
        try container.encode(env, forKey: .env, unlessDefault: Environment(), encoder)
        try container.encode(timeout, forKey: .timeout, unlessDefault: RunSpec.defaultTimeout, encoder)
        try container.encode(concurrency, forKey: .concurrency, unlessDefault: 1, encoder)
        try container.encode(retries, forKey: .retries, unlessDefault: RunSpec.defaultRetries, encoder)
        try container.encode(backoff, forKey: .backoff, unlessDefault: RunSpec.defaultBackoff, encoder)
    }
}
