import Foundation
import Glibc
import Model

/// Runs one content through a pipeline's command or container, with no shell in between.
///
/// The child starts in a session of its own, so that its whole process group can be signalled:
/// on timeout SIGTERM, then SIGKILL after `grace`; after any run, SIGKILL to whatever the group
/// left behind. A container is also killed by name, since killing its client leaves it running.
public struct Executor: Sendable {
    public var grace: Duration
    public var logLimit: Int
    public var logDirectory: String
    public var parentEnvironment: [String: String]
    /// `orchestrator-shim`, which records how a run ended if the orchestrator died meanwhile, so
    /// that a run that finished is not run again after a restart. The daemon uses it; a one-shot
    /// `reconcile` goes without (one process start less per run; at-least-once either way).
    public let shim: String?
    /// The shim started ahead of its run (`WarmShim`).
    private let warmShim: WarmShim?
    /// The folders of status files made so far.
    private let statusFolders = MadeFolders()

    public init(
        logDirectory: String,
        grace: Duration = .seconds(10),
        logLimit: Int = 10 << 20,
        parentEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        shim: String? = nil
    ) {
        self.logDirectory = logDirectory
        self.grace = grace
        self.logLimit = logLimit
        self.parentEnvironment = parentEnvironment
        self.shim = shim
        warmShim = shim.map(WarmShim.init(path:))
    }

    /// `orchestrator-shim` beside the running executable, if it is there.
    public static func installedShim() -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        let shim = PathResolution.directory(of: executable) + "/orchestrator-shim"
        return access(shim, X_OK) == 0 ? shim : nil
    }

    /// Starts the shim that will carry the next run, if the executor uses one and none waits
    /// (it is otherwise started when a run ends, or with the run when none waits then).
    public func prepareShim() {
        warmShim?.prepare()
    }

    /// Where each process records the process groups of its runs (`GroupJournal`).
    public var groupJournals: String { "\(logDirectory)/.groups" }

    /// Where the shim writes how a run ended.
    public func statusFile(pipeline: String, runID: String) -> String {
        "\(logDirectory)/\(pipeline)/\(runID).status"
    }

    /// How a run ended according to its status file, if the shim wrote one.
    public func recordedOutcome(pipeline: String, runID: String) -> RunOutcome? {
        guard let text = try? String(contentsOfFile: statusFile(pipeline: pipeline, runID: runID), encoding: .utf8)
        else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        switch parts[0] {
        case "exit": return value == 0 ? .succeeded : .exited(code: value)
        case "signal": return .signaled(signal: value)
        default: return nil
        }
    }

    /// One run to execute.
    public struct Request: Sendable {
        public var pipeline: Pipeline
        /// The manifest file, against whose folder relative paths resolve.
        public var manifestFile: String
        public var relativePath: String
        public var sha256: String
        public var runID: String

        public init(pipeline: Pipeline, manifestFile: String, relativePath: String, sha256: String, runID: String) {
            self.pipeline = pipeline
            self.manifestFile = manifestFile
            self.relativePath = relativePath
            self.sha256 = sha256
            self.runID = runID
        }
    }

    public struct Result: Sendable {
        public var outcome: RunOutcome
        public var logFile: String
        public var logTail: String
    }

    public func logFile(for request: Request) -> String {
        "\(logDirectory)/\(request.pipeline.name)/\(request.runID).log"
    }

    /// Runs `request` to its end, blocking: call it from a blocking thread. `started` receives
    /// the child's process group as soon as it exists; `cancellation` stops it (SIGTERM to the
    /// group, SIGKILL after `grace`) and makes it `interrupted`.
    public func run(_ request: Request, cancellation: RunCancellation, started: (Int32) -> Void) -> Result {
        finish(start(request, cancellation: cancellation, started: started), cancellation: cancellation)
    }

    /// A run whose command was started, or could not be: what `finish` waits for. Used by one
    /// thread at a time (started on one, finished on the same or another).
    public final class StartedRun: @unchecked Sendable {
        fileprivate enum State {
            case running(ChildProcess, ChildProcess.Spawned)
            case ended(RunOutcome)
        }
        fileprivate let state: State
        fileprivate let runID: String
        fileprivate let log: RunLog
        fileprivate let logPath: String
        /// The env file to remove once the run is over.
        fileprivate let envFile: String?

        fileprivate init(state: State, runID: String, log: RunLog, logPath: String, envFile: String?) {
            self.state = state
            self.runID = runID
            self.log = log
            self.logPath = logPath
            self.envFile = envFile
        }
    }

    /// Starts `request`'s command and returns at once, `started` having received its process
    /// group: the daemon starts a run on the thread that claimed it, and waits for it on another.
    public func start(_ request: Request, cancellation: RunCancellation, started: (Int32) -> Void) -> StartedRun {
        let logPath = logFile(for: request)
        let envFile = "\(logDirectory)/\(request.pipeline.name)/\(request.runID).env"
        let root = Observer.root(of: request.pipeline, manifestFile: request.manifestFile)
        let context = RunContext(
            pipeline: request.pipeline,
            runID: request.runID,
            file: root + "/" + request.relativePath,
            relativePath: request.relativePath,
            sha256: request.sha256,
            envFile: envFile
        )
        let log = RunLog(
            path: logPath,
            limit: logLimit,
            redactor: Redactor(secrets: context.secrets(parent: parentEnvironment))
        )
        let state: StartedRun.State
        do {
            let resolved = try context.resolvedEnv(parent: parentEnvironment)
            if Executor.needsEnvFile(request.pipeline) {
                try writeEnvFile(envFile, resolved)
            }
            let (argv, containerName) = try command(context, resolved: resolved, request: request)
            let workingDirectory = request.pipeline.spec.run.workingDir.map {
                PathResolution.resolve(
                    $0,
                    relativeTo: PathResolution.directory(of: Observer.absolute(request.manifestFile))
                )
            }
            let statusFile = self.statusFile(pipeline: request.pipeline.name, runID: request.runID)
            if shim != nil {
                try? statusFolders.make(PathResolution.directory(of: statusFile))
            }
            let environment =
                containerName == nil
                ? context.environment(parent: parentEnvironment, resolved: resolved)
                : context.clientEnvironment(parent: parentEnvironment)
            state = spawn(
                argv,
                statusFile: statusFile,
                environment: environment,
                workingDirectory: workingDirectory,
                timeout: request.pipeline.spec.run.timeout,
                container: containerName.map { (containerRuntime(request.pipeline) ?? "podman", $0) },
                cancellation: cancellation
            )
        } catch {
            state = .ended(.failedToStart(reason: "\(error)"))
        }
        if case .running(_, let spawned) = state { started(spawned.pid) }
        return StartedRun(
            state: state,
            runID: request.runID,
            log: log,
            logPath: logPath,
            envFile: Executor.needsEnvFile(request.pipeline) ? envFile : nil
        )
    }

    /// Waits for a started run to end, blocking: its output to its log, its timeout and
    /// `cancellation` enforced.
    public func finish(_ run: StartedRun, cancellation: RunCancellation) -> Result {
        defer {
            run.log.close()
            if let envFile = run.envFile { try? FileManager.default.removeItem(atPath: envFile) }
        }
        let outcome: RunOutcome
        switch run.state {
        case .ended(let ended):
            outcome = ended
        case .running(let child, let spawned):
            outcome = Executor.outcome(child.supervise(spawned, cancellation: cancellation, output: run.log.write))
            // The next run's shim starts now, not while this run starts, which it would slow
            // down (a run's start on two cores: 0.3 ms later when the next shim starts beside it).
            warmShim?.prepare()
        }
        if !outcome.isSuccess || !run.log.isEmpty {
            run.log.note("\n[orchestrator] run \(run.runID): \(outcome.description)\n")
        }
        return Result(outcome: outcome, logFile: run.logPath, logTail: run.log.lastOutput)
    }

    /// Containers read their env from the file; a command only when it names `${run.envFile}`.
    static func needsEnvFile(_ pipeline: Pipeline) -> Bool {
        if case .container = pipeline.spec.run.target { return true }
        return pipeline.spec.run.targetTemplates.contains { $0.references.contains(.runEnvFile) }
    }

    private func containerRuntime(_ pipeline: Pipeline) -> String? {
        if case .container(let spec) = pipeline.spec.run.target { return spec.runtime.rawValue }
        return nil
    }

    /// The argv of the run, and the container's name when it runs in one.
    private func command(
        _ context: RunContext,
        resolved: [(String, String)],
        request: Request
    ) throws(RunSetupError) -> ([String], String?) {
        let env = Dictionary(resolved, uniquingKeysWith: { _, last in last })
        func render(_ template: Template) throws(RunSetupError) -> String {
            try context.render(template) { name throws(RunSetupError) in env[name] ?? "" }
        }
        switch request.pipeline.spec.run.target {
        case .command(let argv):
            var rendered: [String] = []
            for template in argv { rendered.append(try render(template)) }
            return (rendered, nil)
        case .container(let spec):
            let name = Executor.containerName(pipeline: request.pipeline.name, runID: request.runID)
            var argv = [spec.runtime.rawValue, "run", "--rm", "--name", name, "--env-file", context.envFile]
            for option in spec.options { argv.append(try render(option)) }
            for volume in spec.volumes { argv += ["-v", try render(volume)] }
            argv.append(spec.image)
            for argument in spec.args { argv.append(try render(argument)) }
            return (argv, name)
        }
    }

    private func writeEnvFile(_ path: String, _ pairs: [(String, String)]) throws(RunSetupError) {
        let bytes = pairs.flatMap { "\($0.0)=\($0.1.replacingOccurrences(of: "\n", with: " "))\n".fileSystemBytes }
        do {
            try PrivateFiles.makeDirectory(PathResolution.directory(of: path))
            try PrivateFiles.write(Data(bytes), to: path)
        } catch {
            throw .cannotWrite("cannot write the run's env file: \(error.localizedDescription)")
        }
    }

    private func spawn(
        _ argv: [String],
        statusFile: String,
        environment: [(String, String)],
        workingDirectory: String?,
        timeout: TimeSpan,
        container: (runtime: String, name: String)?,
        cancellation: RunCancellation
    ) -> StartedRun.State {
        guard let program = argv.first, !program.isEmpty else { return .ended(.failedToStart(reason: "empty command")) }
        let path = environment.last { $0.0 == "PATH" }?.1 ?? ""
        guard let resolved = Executor.programs.resolve(program, path: path, workingDirectory: workingDirectory) else {
            return .ended(.failedToStart(reason: "\(program): command not found (PATH=\(path))"))
        }
        // Raw bytes: a file name that is not UTF-8 reaches the command byte for byte, in argv and
        // in ORCHESTRATOR_FILE alike.
        var variables: [String: [UInt8]] = [:]
        var order: [String] = []
        for (key, value) in environment {
            if variables[key] == nil { order.append(key) }
            variables[key] = Array("\(key)=".utf8) + value.fileSystemBytes
        }
        let arguments = ([resolved] + argv.dropFirst()).map(\.fileSystemBytes)
        var child = ChildProcess(
            executable: resolved,
            arguments: arguments,
            environment: order.compactMap { variables[$0] },
            workingDirectory: workingDirectory,
            timeout: timeout.duration,
            grace: grace
        )
        if let container {
            child.onTimeout = { Executor.removeContainer(runtime: container.runtime, name: container.name) }
        }
        let spawn: ChildProcess.Spawn
        if let warmShim, cancellation.reason == nil {
            spawn = warmShim.launch(
                statusFile: statusFile,
                workingDirectory: workingDirectory,
                arguments: arguments,
                environment: child.environment
            )
        } else {
            spawn = child.spawn(cancellation: cancellation)
        }
        switch spawn {
        case .started(let spawned): return .running(child, spawned)
        case .notStarted(let ending): return .ended(Executor.outcome(ending))
        }
    }

    private static func outcome(_ ending: ChildProcess.Ending) -> RunOutcome {
        switch ending {
        case .cancelled: return .interrupted
        case .timedOut: return .timedOut
        case .failedToStart(let reason): return .failedToStart(reason: reason)
        case .exited(let code): return code == 0 ? .succeeded : .exited(code: Int(code))
        case .signaled(let signal): return .signaled(signal: Int(signal))
        }
    }

    static let programs = ProgramResolver()

    /// The name of the container of a run, derived from the run so that a later orchestrator
    /// can find the container a dead one left behind.
    static func containerName(pipeline: String, runID: String) -> String { "orchestrator-\(pipeline)-\(runID)" }

    /// `docker kill NAME` then `docker rm -f NAME` (or podman), best effort (the container may
    /// already be gone): killing the client leaves its container running, and a container killed
    /// while its client is gone is not removed by `--rm`.
    static func removeContainer(runtime: String, name: String) {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let executable = programs.resolve(runtime, path: path, workingDirectory: nil) else { return }
        for arguments in [["kill", name], ["rm", "-f", name]] {
            let child = ChildProcess(
                executable: executable,
                arguments: ([runtime] + arguments).map(\.fileSystemBytes),
                environment: ProcessInfo.processInfo.environment.map { Array("\($0.key)=\($0.value)".utf8) },
                workingDirectory: nil,
                timeout: .seconds(60),
                grace: .seconds(5)
            )
            _ = child.run(cancellation: RunCancellation(), started: { _ in }, output: { _ in })
        }
    }
}

/// Finds programs on PATH, remembering what it found for the life of the process (a reconcile
/// runs the same program for thousands of files).
final class ProgramResolver: @unchecked Sendable {
    private let lock = NSLock()
    private var found: [String: String] = [:]

    /// The program's path: as given when it holds a `/` (relative to the working folder), else
    /// the first executable of that name in `path`. Resolved here rather than by trying each
    /// folder of PATH with a spawn, which costs a process creation per miss.
    func resolve(_ program: String, path: String, workingDirectory: String?) -> String? {
        if program.contains("/") {
            return program.hasPrefix("/") || workingDirectory == nil
                ? program : PathResolution.resolve(program, relativeTo: workingDirectory!)
        }
        let key = program + "\u{0}" + path
        if let known = lock.withLock({ found[key] }), access(known, X_OK) == 0 { return known }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0, FileStat.of(candidate).map({ !$0.isDirectory }) ?? true {
                lock.withLock { found[key] = candidate }
                return candidate
            }
        }
        return nil
    }
}
