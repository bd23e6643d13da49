import Foundation
import Logging
import Model

/// The daemon's state and decisions: which pipelines run with which spec, which folders are
/// watched, what changed, which contents wait for a job slot.
///
/// Level-triggered: an event only marks a pipeline dirty; the check that follows re-reads the
/// folder and the ledger. A lost event costs latency (until the periodic rescan), never a file.
actor Controller {
    struct Job: Sendable {
        var pipeline: Pipeline
        var manifestFile: String
        var file: FileChange
        var key: String { Controller.key(pipeline.name, file.sha256) }
    }

    let options: DaemonOptions
    let store: any StateStore
    let applier: Applier
    let inotify: Inotify
    let wake: Wake
    let logger: Logger

    private var pipelines: [String: (pipeline: Pipeline, file: String)] = [:]
    private var watches = WatchTable()
    private var manifestWatch: Int32?
    private var polled: [String: Duration] = [:]
    private var unwatched: Set<String> = []
    private var dirty: Set<String> = []
    private var timers: [String: Date] = [:]
    private var nextRescan = Date()
    private var reloadAt: Date?
    /// A manifest read under way off the actor, and whether another was asked for meanwhile.
    private var reading = false
    private var readAgain: Bool?
    private var writing: [String: [String: Date]] = [:]
    private var queues: [String: [Job]] = [:]
    private var running: [String: Int] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    private var inFlight: Set<String> = []
    private var intakeStopped = false
    private var rotation = 0
    /// Set once the backlog found at start has been planned: `/readyz` turns ready.
    private(set) var isReady = false

    init(options: DaemonOptions, store: any StateStore, applier: Applier, inotify: Inotify, wake: Wake, logger: Logger) {
        self.options = options
        self.store = store
        self.applier = applier
        self.inotify = inotify
        self.wake = wake
        self.logger = logger
    }

    static func key(_ pipeline: String, _ sha: String) -> String { pipeline + "\u{0}" + sha }

    // MARK: Start and stop

    /// Recovers what a dead orchestrator left, loads the manifests, watches the folders, and
    /// plans the backlog (files that arrived while nothing ran).
    func start() throws {
        let recovered = try applier.recover(now: Date())
        if recovered > 0 { logger.warning("recovered runs left by an orchestrator that stopped", metadata: ["count": "\(recovered)"]) }
        do {
            manifestWatch = try inotify.add(options.pipelines, mask: InotifyMask.closeWrite | InotifyMask.movedTo | InotifyMask.movedFrom
                                            | InotifyMask.delete | InotifyMask.create | InotifyMask.deleteSelf | InotifyMask.moveSelf)
        } catch {
            logger.warning("cannot watch the pipelines folder; it is re-read on SIGHUP and at each rescan", metadata: ["error": "\(error)"])
        }
        reload()
        dirty.formUnion(pipelines.keys)
        nextRescan = Date().addingTimeInterval(options.rescanInterval.seconds * Double.random(in: 0.9...1.1))
        tick()
        isReady = true
    }

    /// Stops intake: no new job starts; queued contents stay pending in the ledger.
    func stopIntake() {
        intakeStopped = true
        for name in queues.keys { dropQueue(name) }
        DaemonMetrics.queueDepth.record(0)
    }

    /// Forgets a pipeline's queued (not running) jobs; their contents stay pending in the ledger.
    private func dropQueue(_ name: String) {
        for job in queues.removeValue(forKey: name) ?? [] { inFlight.remove(job.key) }
    }

    var runningCount: Int { tasks.count }

    /// Cancels the running jobs (their processes get SIGTERM, then SIGKILL) and waits for them
    /// to record themselves as interrupted, hence retryable.
    func cancelRunning() async {
        let running = Array(tasks.values)
        running.forEach { $0.cancel() }
        for task in running { await task.value }
    }

    // MARK: The loop

    /// How long the loop may sleep before something is due.
    func timeUntilDue() -> Duration {
        let now = Date()
        var next = nextRescan
        if let reloadAt { next = min(next, reloadAt) }
        if let timer = timers.values.min() { next = min(next, timer) }
        if queues.values.contains(where: { !$0.isEmpty }) { next = min(next, lastProgress.addingTimeInterval(10)) }
        if !dirty.isEmpty { return .zero }
        return .milliseconds(max(0, Int64(next.timeIntervalSince(now) * 1000)))
    }

    /// Does what is due: a manifest reload, checks of dirty pipelines and of timers, the rescan.
    func tick() {
        guard !intakeStopped else { return }
        let now = Date()
        reportProgress(now)
        if let reloadAt, reloadAt <= now {
            self.reloadAt = nil
            reloadInBackground()
        }
        var due = dirty
        dirty = []
        for (name, time) in timers where time <= now {
            due.insert(name)
            timers[name] = nil
        }
        if now >= nextRescan {
            // Also catches manifest changes whose events were lost.
            DaemonMetrics.rescans.increment()
            nextRescan = now.addingTimeInterval(options.rescanInterval.seconds * Double.random(in: 0.9...1.1))
            reloadInBackground(quietly: true)
            due.formUnion(pipelines.keys)
        }
        for name in unwatched where pipelines[name] != nil { establish(name) }
        for name in due.sorted() { check(name, now: now) }
        dispatch()
    }

    /// A full re-read of manifests and folders, as on SIGHUP.
    func hangUp() {
        logger.info("SIGHUP: re-reading the manifests and every folder")
        dirty.formUnion(pipelines.keys)
        reloadInBackground()
        wake.signal()
    }

    // MARK: Manifests

    /// Reads the manifests synchronously: at start only, before any job runs.
    private func reload(quietly: Bool = false) {
        apply(Result { try ManifestDirectory.load(options.pipelines) }, quietly: quietly)
    }

    /// Reads the manifests on another task and applies them when read, so that a large or slow
    /// manifest folder never holds up the actor that starts and records runs.
    private func reloadInBackground(quietly: Bool = false) {
        guard !reading else {
            readAgain = (readAgain ?? true) && quietly
            return
        }
        reading = true
        let folder = options.pipelines
        Task.detached { [self] in
            let loaded = Result { try ManifestDirectory.load(folder) }
            await self.finishReading(loaded, quietly: quietly)
        }
    }

    private func finishReading(_ loaded: Result<ManifestSet, any Error>, quietly: Bool) {
        reading = false
        apply(loaded, quietly: quietly)
        if let again = readAgain {
            readAgain = nil
            reloadInBackground(quietly: again)
        }
        wake.signal()
    }

    private func apply(_ result: Result<ManifestSet, any Error>, quietly: Bool) {
        let loaded: ManifestSet
        do {
            loaded = try result.get()
        } catch {
            logger.error("cannot read the pipelines folder; the running pipelines keep their specs", metadata: ["error": "\(error)"])
            return
        }
        let applied: [AppliedSpec]
        do { applied = try store.appliedSpecs() } catch {
            logger.error("cannot read the state", metadata: ["error": "\(error)"])
            return
        }
        let plan = Planner.plan(Planner.Input(manifests: loaded, applied: applied, observed: [:], ledgers: [:], now: Date(), allowEmpty: options.allowEmpty))
        if let refusal = plan.refusal {
            logger.error("manifests not applied: \(refusal)")
            return
        }
        let now = Date()
        for pipeline in plan.pipelines {
            switch pipeline.change {
            case .create, .update:
                guard let spec = pipeline.effective, let file = pipeline.file else { continue }
                do { try store.recordApplied(spec, file: file, at: now) } catch {
                    logger.error("cannot record the applied spec", metadata: ["pipeline": "\(pipeline.name)", "error": "\(error)"])
                    continue
                }
                logger.info(pipeline.change == .create ? "pipeline created" : "pipeline updated", metadata: ["pipeline": "\(pipeline.name)", "manifest": "\(file)"])
                for warning in loaded.diagnostics where warning.severity == .warning && warning.file == file {
                    logger.warning("\(warning)", metadata: ["pipeline": "\(pipeline.name)"])
                }
                replace(pipeline.name, with: (spec, file))
            case .delete:
                do { try store.removeApplied(pipeline.name) } catch {
                    logger.error("cannot record the deletion", metadata: ["pipeline": "\(pipeline.name)", "error": "\(error)"])
                }
                logger.info("pipeline deleted; its ledger is kept", metadata: ["pipeline": "\(pipeline.name)"])
                replace(pipeline.name, with: nil)
            case .invalid(let diagnostics):
                let running = pipelines[pipeline.name] != nil ? "the last applied spec keeps running" : "nothing runs until it is fixed"
                if !quietly {
                    for diagnostic in diagnostics { logger.error("invalid manifest; \(running): \(diagnostic)", metadata: ["pipeline": "\(pipeline.name)"]) }
                }
                if pipelines[pipeline.name] == nil, let spec = pipeline.effective, let file = pipeline.file { replace(pipeline.name, with: (spec, file)) }
            case .unchanged:
                if pipelines[pipeline.name] == nil, let spec = pipeline.effective, let file = pipeline.file { replace(pipeline.name, with: (spec, file)) }
            }
        }
        if !quietly {
            for diagnostic in loaded.diagnostics where diagnostic.severity == .error && !plan.pipelines.contains(where: { $0.file == diagnostic.file }) {
                logger.error("invalid manifest: \(diagnostic)")
            }
        }
    }

    /// Starts, restarts with a new spec, or stops one pipeline's watching.
    private func replace(_ name: String, with new: (pipeline: Pipeline, file: String)?) {
        for watch in watches.release(name) { inotify.remove(watch) }
        polled[name] = nil
        unwatched.remove(name)
        writing[name] = nil
        dropQueue(name)
        timers[name] = nil
        pipelines[name] = new
        guard new != nil else { return }
        establish(name)
        dirty.insert(name)
    }

    // MARK: Watches

    /// Watches a pipeline's folder tree, or polls it: by choice (`poll:`), or because inotify
    /// has no watch left (with a warning).
    private func establish(_ name: String) {
        guard let (pipeline, file) = pipelines[name] else { return }
        unwatched.remove(name)
        if !pipeline.spec.watch.poll.isZero {
            polled[name] = pipeline.spec.watch.poll.duration
            schedule(name, at: Date())
            return
        }
        let root = Observer.root(of: pipeline, manifestFile: file)
        guard FileStat.ofRoot(root)?.isDirectory == true else {
            unwatched.insert(name)
            schedule(name, at: Date().addingTimeInterval(2))
            return
        }
        do {
            try watchTree(name, root: root, relative: "", filter: WatchFilter(pipeline.spec.watch))
        } catch InotifyError.noSpace {
            logger.warning("inotify watch limit reached; this pipeline is polled instead (raise fs.inotify.max_user_watches)",
                           metadata: ["pipeline": "\(name)", "every": "\(options.fallbackPoll)"])
            DaemonMetrics.watchFallbacks.increment()
            for watch in watches.release(name) { inotify.remove(watch) }
            polled[name] = options.fallbackPoll
            schedule(name, at: Date())
        } catch {
            logger.warning("cannot watch a folder; it is rescanned instead", metadata: ["pipeline": "\(name)", "error": "\(error)"])
            unwatched.insert(name)
            schedule(name, at: Date().addingTimeInterval(2))
        }
    }

    private func watchTree(_ name: String, root: String, relative: String, filter: WatchFilter) throws {
        let path = relative.isEmpty ? root : root + "/" + relative
        if !watches.isWatching(name, folder: relative) {
            watches.add(try inotify.add(path, mask: InotifyMask.folder), pipeline: name, folder: relative)
        }
        for entry in Directory.names(path) ?? [] {
            let child = relative.isEmpty ? entry : relative + "/" + entry
            if FileStat.of(path + "/" + entry)?.isDirectory == true, filter.descends(into: child) {
                try watchTree(name, root: root, relative: child, filter: filter)
            }
        }
    }

    // MARK: Events

    /// Takes a batch of inotify events: marks pipelines dirty, follows new folders, tracks files
    /// open for writing, and wakes the loop.
    func handle(_ events: [InotifyEvent]) {
        let now = Date()
        for event in events {
            if event.has(InotifyMask.queueOverflow) {
                logger.warning("inotify queue overflow: rescanning every folder")
                DaemonMetrics.overflows.increment()
                dirty.formUnion(pipelines.keys)
                // Closes may be among the lost events: which files are still open is unknown now.
                writing = [:]
                continue
            }
            if event.watch == manifestWatch {
                if event.has(InotifyMask.ignored) || event.has(InotifyMask.deleteSelf) || event.has(InotifyMask.moveSelf) { manifestWatch = nil }
                if event.name.hasSuffix(".yaml") || event.name.hasSuffix(".yml") || event.name.isEmpty {
                    reloadAt = now.addingTimeInterval(0.2)
                }
                continue
            }
            if event.has(InotifyMask.ignored) {
                for owner in watches.dropped(event.watch) where owner.folder.isEmpty {
                    unwatched.insert(owner.pipeline)
                    dirty.insert(owner.pipeline)
                }
                continue
            }
            for owner in watches.owners(of: event.watch) {
                let path = owner.folder.isEmpty ? event.name : owner.folder + "/" + event.name
                handle(event, path: path, pipeline: owner.pipeline, now: now)
            }
        }
        wake.signal()
    }

    private func handle(_ event: InotifyEvent, path: String, pipeline name: String, now: Date) {
        guard let (pipeline, file) = pipelines[name] else { return }
        if event.has(InotifyMask.isDirectory) {
            if event.has(InotifyMask.create) || event.has(InotifyMask.movedTo), let filter = try? WatchFilter(pipeline.spec.watch), filter.descends(into: path) {
                // Files written right after `mkdir -p` are found by the scan that follows.
                try? watchTree(name, root: Observer.root(of: pipeline, manifestFile: file), relative: path, filter: filter)
                dirty.insert(name)
            }
            return
        }
        if event.has(InotifyMask.create) || event.has(InotifyMask.modify) {
            if writing[name]?[path] == nil { writing[name, default: [:]][path] = now }
        }
        if event.has(InotifyMask.closeWrite) || event.has(InotifyMask.delete) || event.has(InotifyMask.movedFrom) {
            writing[name]?[path] = nil
        }
        if event.has(InotifyMask.closeWrite) || event.has(InotifyMask.movedTo) {
            dirty.insert(name)
        }
    }

    // MARK: Checks

    /// Observes one pipeline's folder, plans it against its ledger, and queues what is runnable.
    private func check(_ name: String, now: Date) {
        guard let (pipeline, file) = pipelines[name] else { return }
        let busy = busyPaths(name, now: now)
        let folder: ObservedFolder
        let ledger: [String: LedgerEntry]
        do {
            folder = try Observer(store: store).observe(pipeline, manifestFile: file, now: now, busy: busy) { [logger] files, bytes in
                logger.info("hashing the backlog", metadata: ["pipeline": "\(name)", "files": "\(files)", "MiB": "\(bytes >> 20)"])
            }
            ledger = try store.ledger(pipeline: name)
        } catch {
            logger.error("cannot observe the folder", metadata: ["pipeline": "\(name)", "error": "\(error)"])
            schedule(name, at: now.addingTimeInterval(5))
            return
        }
        let plan = Planner.planFiles(PipelinePlan(name: name, file: file, change: .unchanged, effective: pipeline), folder: folder, ledger: ledger, now: now)
        // The same ledger update as reconcile's: the planner says what is news.
        do { try store.recordSeen(pipeline: name, contents: plan.seen, at: now) } catch {
            logger.error("cannot record seen files", metadata: ["pipeline": "\(name)", "error": "\(error)"])
        }
        var queue = queues[name] ?? []
        let queued = Set(queue.map(\.key))
        for change in plan.runnable {
            let job = Job(pipeline: pipeline, manifestFile: file, file: change)
            guard !inFlight.contains(job.key), !queued.contains(job.key) else { continue }
            inFlight.insert(job.key)
            queue.append(job)
        }
        queues[name] = queue

        var next = folder.nextReady
        do {
            let settled = try applier.settleFileActions(of: pipeline, manifestFile: file, now: now, dueOnly: true)
            for problem in settled.problems { logger.warning("\(problem.terminalSafe)", metadata: ["pipeline": "\(name)"]) }
            if let due = settled.nextDue { next = min(next ?? due, due) }
        } catch {
            logger.error("cannot settle file actions", metadata: ["pipeline": "\(name)", "error": "\(error)"])
        }
        for change in plan.files where change.action == .retry && !change.isDue {
            if let due = change.nextAttemptAt { next = min(next ?? due, due) }
        }
        if let oldest = writing[name]?.values.min() {
            let bound = oldest.addingTimeInterval(options.openWriterBound.seconds)
            next = min(next ?? bound, bound)
        }
        if let interval = polled[name] {
            let poll = now.addingTimeInterval(interval.seconds)
            next = min(next ?? poll, poll)
        }
        if let next { schedule(name, at: next) }
    }

    /// Paths seen open for writing and not closed, within the bound; past it they are taken, with a warning.
    private func busyPaths(_ name: String, now: Date) -> Set<String> {
        var busy: Set<String> = []
        for (path, since) in writing[name] ?? [:] {
            if now.timeIntervalSince(since) >= options.openWriterBound.seconds {
                logger.warning("a file has been open for writing longer than the bound; taking it", metadata: ["pipeline": "\(name)", "path": "\(path)"])
                writing[name]?[path] = nil
            } else {
                busy.insert(path)
            }
        }
        return busy
    }

    private func schedule(_ name: String, at time: Date) {
        timers[name] = min(timers[name] ?? time, time)
    }

    // MARK: Jobs

    private var processedSinceStart = 0
    private var lastProgress = Date.distantPast

    /// A progress line every 10 s while a backlog is being worked through.
    private func reportProgress(_ now: Date) {
        let queued = queues.values.reduce(0) { $0 + $1.count }
        guard queued > 0, now.timeIntervalSince(lastProgress) >= 10 else { return }
        lastProgress = now
        logger.info("progress", metadata: ["queued": "\(queued)", "running": "\(tasks.count)", "done": "\(processedSinceStart)"])
    }

    /// Starts queued jobs while slots are free: at most `maxJobs` in all, `run.concurrency` per
    /// pipeline, taking pipelines in turn so that one large backlog does not starve the others.
    private func dispatch() {
        guard !intakeStopped else { return }
        var names = queues.keys.filter { !(queues[$0]?.isEmpty ?? true) }.sorted()
        while tasks.count < options.maxJobs, !names.isEmpty {
            rotation = (rotation + 1) % names.count
            let name = names[rotation]
            guard let (pipeline, _) = pipelines[name], !pipeline.spec.suspend,
                  (running[name] ?? 0) < pipeline.spec.run.concurrency, var queue = queues[name], !queue.isEmpty else {
                names.remove(at: rotation)
                continue
            }
            let job = queue.removeFirst()
            queues[name] = queue
            start(job)
        }
        DaemonMetrics.queueDepth.record(queues.values.reduce(0) { $0 + $1.count })
        DaemonMetrics.running.record(tasks.count)
    }

    private func start(_ job: Job) {
        running[job.pipeline.name, default: 0] += 1
        let applier = self.applier
        tasks[job.key] = Task {
            let report = await applier.process(job.file, of: job.pipeline, manifestFile: job.manifestFile)
            self.finished(job, report)
        }
    }

    private func finished(_ job: Job, _ report: Applier.Report) {
        let name = job.pipeline.name
        running[name, default: 1] -= 1
        tasks[job.key] = nil
        processedSinceStart += report.runs.count
        inFlight.remove(job.key)
        for run in report.runs {
            DaemonMetrics.runDuration(name).recordNanoseconds(Int64(run.duration.seconds * 1e9))
            var metadata: Logger.Metadata = ["pipeline": "\(name)", "path": "\(run.path)", "run": "\(run.runID)", "outcome": "\(run.outcome.description)"]
            if run.outcome.isSuccess {
                DaemonMetrics.processed(name).increment()
                logger.info("processed", metadata: metadata)
            } else {
                metadata["state"] = "\(run.state.rawValue)"
                metadata["log"] = "\(run.logFile)"
                DaemonMetrics.failed(name).increment()
                if run.state == .quarantined { DaemonMetrics.quarantined(name).increment() }
                logger.warning("run failed", metadata: metadata)
                if let next = run.nextAttemptAt { schedule(name, at: next) }
            }
        }
        for problem in report.fileActionProblems { logger.warning("\(problem)", metadata: ["pipeline": "\(name)"]) }
        dispatch()
        wake.signal()
    }
}
