import YAML

/// Turns a legacy watcher config into a pipeline manifest.
///
/// The mapping: `WATCH_DIR` → `watch.path`, `WATCH_REGEX` → `watch.regex`, `TO_REMOVE=true` →
/// `onSuccess: delete`, `BACKUP=true` → `onSuccess: move` (to `BACKUP_DIR`, or `backup/<name>`
/// beside the watched folder); a `COMMAND` that is one of the legacy docker runners becomes a
/// `run.container` built from `DOCKER_IMAGE`, `PARAMETERS` and `DOCKER_OPTIONS`; any other
/// `COMMAND` runs with the legacy calling convention; every other key goes to `run.env`.
public struct LegacyConverter: Sendable {
    /// The docker volume the legacy runners mounted on `/data`.
    public var dataVolume: String

    public init(dataVolume: String = "data_upload_data") {
        self.dataVolume = dataVolume
    }

    /// The result of converting one file.
    public struct Conversion: Sendable {
        /// The manifest, when the file converted without error.
        public var pipeline: Pipeline?
        /// The manifest's YAML text, deterministic for a given input.
        public var yaml: String?
        /// Errors (then nothing is written) and warnings, each located in the legacy file.
        public var diagnostics: [Diagnostic]
    }

    /// The largest legacy config read, 1 MiB, as for manifests.
    public static let maxFileSize = ManifestDocument.maxFileSize

    static let runners: Set<String> = ["runner-file.sh", "runner-multiple-files.sh"]
    static let flagKeys: Set<String> = ["TO_REMOVE", "BACKUP", "BACKUP_DIR"]
    static let containerKeys: Set<String> = ["DOCKER_IMAGE", "PARAMETERS", "DOCKER_OPTIONS"]

    /// The pipeline name for a legacy file: its name without extension, as a DNS-1123 label.
    public static func pipelineName(forFile file: String) -> String {
        var stem = Substring(file.split(separator: "/").last ?? "")
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = stem[..<dot] }
        var name = ""
        for character in stem.lowercased() {
            let allowed = character.isASCII && (character.isLetter || character.isNumber)
            if allowed {
                name.append(character)
            } else if !name.isEmpty, name.last != "-" {
                name.append("-")
            }
        }
        while name.hasSuffix("-") { name.removeLast() }
        name = String(name.prefix(63))
        while name.hasSuffix("-") { name.removeLast() }
        return name.isEmpty ? "pipeline" : name
    }

    /// Converts the text of a legacy file; `file` names it in diagnostics and names the pipeline.
    public func convert(_ text: String, file: String) -> Conversion {
        let config: LegacyConfig
        switch LegacyConfig.parse(text, file: file) {
        case .success(let parsed): config = parsed
        case .failure(let failure): return Conversion(diagnostics: failure.diagnostics.sortedForDisplay())
        }
        var build = Build(config: config, file: file, dataVolume: dataVolume)
        let pipeline = build.pipeline()
        var diagnostics = config.warnings + build.diagnostics
        guard let pipeline, !diagnostics.hasErrors else {
            return Conversion(diagnostics: diagnostics.sortedForDisplay())
        }
        do {
            let fileName = file.split(separator: "/").last.map(String.init) ?? file
            let yaml = try ManifestText.write(
                pipeline,
                comment: ["Converted from \(fileName) by `orchestrator convert`."]
            )
            if yaml.utf8.count > ManifestDocument.maxFileSize {
                diagnostics.append(
                    Diagnostic(
                        .error,
                        file: file,
                        at: .start,
                        "the manifest would be larger than \(ManifestDocument.maxFileSize / 1024) KiB, the most a manifest file may hold; move values out of the config"
                    )
                )
            } else {
                let check = ManifestDocument.parse(yaml, file: "converted \(fileName)")
                diagnostics += check.flatMap(\.diagnostics)
            }
            return Conversion(
                pipeline: pipeline,
                yaml: diagnostics.hasErrors ? nil : yaml,
                diagnostics: diagnostics.sortedForDisplay()
            )
        } catch {
            diagnostics.append(Diagnostic(.error, file: file, at: .start, "could not write the manifest: \(error)"))
            return Conversion(diagnostics: diagnostics.sortedForDisplay())
        }
    }
}

/// The state of one conversion: the config, and what it has found to say about it.
private struct Build {
    let config: LegacyConfig
    let file: String
    let dataVolume: String
    var diagnostics: [Diagnostic] = []

    init(config: LegacyConfig, file: String, dataVolume: String) {
        self.config = config
        self.file = file
        self.dataVolume = dataVolume
    }

    mutating func pipeline() -> Pipeline? {
        let watch = watchSpec()
        let command = config.last("COMMAND")
        if command == nil {
            diagnostics.append(
                Diagnostic(.error, file: file, at: .start, "COMMAND is missing: the legacy loop had nothing to run")
            )
        }
        guard let watch, let command, case .raw(let program) = command.value else { return nil }
        let isRunner = LegacyConverter.runners.contains(String(program.split(separator: "/").last ?? ""))
        let target = isRunner ? containerTarget(runner: program, at: command.mark) : legacyCommand(program)
        guard let target else { return nil }
        let consumed = LegacyConfig.rawKeys.union(LegacyConverter.flagKeys).union(
            isRunner ? LegacyConverter.containerKeys : []
        )
        let spec = PipelineSpec(
            watch: watch,
            run: RunSpec(target: target, env: environment(excluding: consumed)),
            onSuccess: onSuccess(watchPath: watch.path)
        )
        return Pipeline(metadata: Metadata(name: LegacyConverter.pipelineName(forFile: file)), spec: spec)
    }

    private mutating func watchSpec() -> WatchSpec? {
        guard let directory = config.last("WATCH_DIR"), case .raw(let path) = directory.value, !path.isEmpty else {
            diagnostics.append(
                Diagnostic(
                    .error,
                    file: file,
                    at: config.last("WATCH_DIR")?.mark ?? .start,
                    "WATCH_DIR is missing or empty: a pipeline needs a folder to watch"
                )
            )
            return nil
        }
        if !path.hasPrefix("/"), let assignment = config.last("WATCH_DIR") {
            diagnostics.append(
                Diagnostic(
                    .warning,
                    file: file,
                    at: assignment.mark,
                    "WATCH_DIR \(path) is relative: the legacy loop read it from its own working folder, a manifest reads it from the manifest's folder; check it or make it absolute"
                )
            )
        }
        var regex: ExtendedRegex?
        if let assignment = config.last("WATCH_REGEX"), case .raw(let pattern) = assignment.value, !pattern.isEmpty {
            do {
                regex = try ExtendedRegex(pattern)
            } catch {
                diagnostics.append(Diagnostic(.error, file: file, at: valueMark(assignment), "WATCH_REGEX: \(error)"))
                return nil
            }
        }
        return WatchSpec(path: path, regex: regex)
    }

    /// `bash COMMAND <dir>/ CLOSE_WRITE,CLOSE <name> <env file>`, as the legacy loop called scripts.
    private func legacyCommand(_ program: String) -> RunSpec.Target {
        .command([
            Template.literal("bash"), Template.literal(program), try! Template("${file.dir}/"),
            Template.literal("CLOSE_WRITE,CLOSE"),
            try! Template("${file.name}"), try! Template("${run.envFile}"),
        ])
    }

    private mutating func containerTarget(runner: String, at mark: Mark) -> RunSpec.Target? {
        guard let image = config.last("DOCKER_IMAGE"), case .word(let value) = image.value, let name = value.staticText,
            !name.isEmpty
        else {
            diagnostics.append(
                Diagnostic(
                    .error,
                    file: file,
                    at: config.last("DOCKER_IMAGE")?.mark ?? mark,
                    "DOCKER_IMAGE is missing or not a plain value: \(runner) needs an image"
                )
            )
            return nil
        }
        let options = dockerOptions()
        var allOptions: [Template] = []
        if !options.contains(where: {
            $0.source.hasPrefix("--network") || $0.source.hasPrefix("--net=") || $0.source == "--net"
        }) {
            allOptions.append(Template.literal("--network=host"))
        }
        allOptions += options
        if runner.hasSuffix("runner-multiple-files.sh") {
            diagnostics.append(
                Diagnostic(
                    .warning,
                    file: file,
                    at: mark,
                    "COMMAND \(runner): the container now runs once per new file with PARAMETERS as they were; add ${file} to its args to process only that file"
                )
            )
        }
        return .container(
            ContainerSpec(
                image: name,
                args: arguments("PARAMETERS").map(\.template),
                options: allOptions,
                volumes: [Template.literal("\(dataVolume):/data")]
            )
        )
    }

    private func arguments(_ key: String) -> [ShellValue] {
        guard let assignment = config.last(key), case .arguments(let words) = assignment.value else { return [] }
        return words
    }

    /// `DOCKER_OPTIONS` without the options the orchestrator sets itself or that would defeat it.
    private mutating func dockerOptions() -> [Template] {
        guard let assignment = config.last("DOCKER_OPTIONS") else { return [] }
        var kept: [Template] = []
        var words = arguments("DOCKER_OPTIONS")[...]
        while let word = words.popFirst() {
            let text = word.staticText ?? ""
            let flag = String(text.split(separator: "=", maxSplits: 1).first ?? "")
            switch flag {
            case "--name":
                if !text.contains("=") { words = words.dropFirst() }
                diagnostics.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: assignment.mark,
                        "DOCKER_OPTIONS: --name dropped; the orchestrator names each container itself, to kill it on timeout"
                    )
                )
            case "--rm":
                continue
            case "-d", "--detach":
                diagnostics.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: assignment.mark,
                        "DOCKER_OPTIONS: \(flag) dropped; a detached container would outlive its run"
                    )
                )
            default:
                kept.append(word.template)
            }
        }
        return kept
    }

    private mutating func onSuccess(watchPath: String) -> FileAction {
        let remove = flag("TO_REMOVE")
        let backup = flag("BACKUP")
        guard backup || remove else { return .keep }
        guard backup else { return .delete }
        let folder: String
        if let assignment = config.last("BACKUP_DIR"), case .word(let value) = assignment.value,
            let text = value.staticText, !text.isEmpty
        {
            folder = text
        } else {
            let name = LegacyConfigParser.basename(watchPath)
            folder = PathResolution.normalize(LegacyConfigParser.dirname(watchPath) + "/backup/" + name)
            diagnostics.append(
                Diagnostic(
                    .warning,
                    file: file,
                    at: config.last("BACKUP")!.mark,
                    "BACKUP=true: processed files are moved to \(folder) (set BACKUP_DIR to choose the folder)"
                )
            )
        }
        if remove {
            diagnostics.append(
                Diagnostic(
                    .warning,
                    file: file,
                    at: config.last("TO_REMOVE")!.mark,
                    "TO_REMOVE and BACKUP are both true: files are moved to the backup folder, which also removes them from the watched one"
                )
            )
        }
        return .move(to: folder)
    }

    private func flag(_ key: String) -> Bool {
        guard let assignment = config.last(key), case .word(let value) = assignment.value else { return false }
        return ["true", "yes", "1"].contains(value.staticText?.lowercased() ?? "")
    }

    private mutating func environment(excluding consumed: Set<String>) -> Environment {
        var order: [String] = []
        var seen = consumed
        for assignment in config.assignments where seen.insert(assignment.name).inserted {
            order.append(assignment.name)
        }
        var entries: [Environment.Entry] = []
        for name in order {
            guard let assignment = config.last(name) else { continue }
            let value: Template
            switch assignment.value {
            case .word(let word): value = word.template
            case .raw(let text): value = Template.literal(text)
            case .arguments(let words):
                value = ShellValue.joined(words).template
                diagnostics.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: assignment.mark,
                        "\(name) is an argument list for the docker runners; COMMAND is not one, so it is kept in run.env as one string"
                    )
                )
            }
            if Environment.looksSensitive(name), !value.source.isEmpty {
                diagnostics.append(
                    Diagnostic(
                        .warning,
                        file: file,
                        at: assignment.mark,
                        "\(name) looks like a secret and its value is written in the manifest; prefer \(name): {fromEnv: \(name.uppercased())} and set it in the orchestrator's environment"
                    )
                )
            }
            entries.append(Environment.Entry(name: name, value: .value(value)))
        }
        return Environment(entries)
    }

    private func valueMark(_ assignment: LegacyConfig.Assignment) -> Mark {
        Mark(line: assignment.mark.line, column: assignment.mark.column + assignment.name.count + 1)
    }
}

extension ShellValue {
    /// Words joined with single spaces, as `echo $WORDS` would print them.
    static func joined(_ words: [ShellValue]) -> ShellValue {
        var value = ShellValue()
        for (index, word) in words.enumerated() {
            if index > 0 { value.append(.text(" ")) }
            value.append(word)
        }
        return value
    }
}
