import Foundation
import Logging
import Model

/// The daemon's shell: performs what the `Scheduler` decides (looks at folders, starts runs)
/// with inotify, the store and the executor, and turns what happens (kernel events, manifests
/// read, runs ended) into the scheduler's events. The rules live in the scheduler; what lives
/// here is what only the system can do: watches, folder listings, the ledger, processes.
actor Controller {
    let options: DaemonOptions
    let store: any StateStore
    let applier: Applier
    let inotify: Inotify
    let wake: Wake
    let logger: Logger

    private var scheduler: Scheduler
    private var pipelines: [String: (pipeline: Pipeline, file: String)] = [:]
    private var watches = WatchTable()
    /// The pipelines folder (its target, when it is a symlink), and the folders holding the names
    /// that lead to it, with those names (see `ManifestLinks`): git-sync and Capistrano-style
    /// releases publish a revision by swapping a symlink, which only the folder holding it sees.
    private var manifestWatch: Int32?
    private var manifestNameWatches: [Int32: Set<String>] = [:]
    /// Pipelines polled because inotify had no watch left for them.
    private var fallbackPolled: Set<String> = []
    private var unwatched: Set<String> = []
    private var reloadAt: Date?
    /// A manifest read under way off the actor, and whether another was asked for meanwhile.
    private var reading = false
    private var readAgain: Bool?
    private var tasks: [String: Task<Void, Never>] = [:]
    /// The database pipelines' revision last applied, and when to look at it again: a change
    /// made by another process (the CLI) is applied within a second.
    private var pipelinesRevision: Int?
    private var revisionCheckAt = Date.distantPast
    private var console: (any ConsoleStore)? { store as? any ConsoleStore }

    /// The controller's work — folder walks, hashing, store reads and writes — is blocking
    /// system calls, which cannot be made async: the actor runs on a thread of its own, so that
    /// it never holds a thread of the cooperative pool (which runs the runs' tasks and the HTTP
    /// server) nor an event loop (a PostgreSQL store waits on its connection's loop).
    private static let thread = ThreadExecutor(name: "controller")
    nonisolated var unownedExecutor: UnownedSerialExecutor { Controller.thread.asUnownedSerialExecutor() }
    /// Set once the backlog found at start has been planned: `/readyz` turns ready.
    nonisolated let isReady = Flag()

    init(options: DaemonOptions, store: any StateStore, applier: Applier, inotify: Inotify, wake: Wake, logger: Logger)
    {
        self.options = options
        self.store = store
        self.applier = applier
        self.inotify = inotify
        self.wake = wake
        self.logger = logger
        scheduler = Scheduler(
            options: Scheduler.Options(
                maxJobs: options.maxJobs,
                rescanInterval: options.rescanInterval.seconds,
                openWriterBound: options.openWriterBound.seconds
            ),
            now: Date(),
            jitter: Double.random(in: 0.9...1.1)
        )
    }

    // MARK: Start and stop

    /// Recovers what a dead orchestrator left, loads the manifests, watches the folders, and
    /// plans the backlog (files that arrived while nothing ran).
    func start() async throws {
        let recovered = try await applier.recover(now: Date())
        if recovered > 0 {
            logger.warning("recovered runs left by an orchestrator that stopped", metadata: ["count": "\(recovered)"])
        }
        applier.executor.prepareShim()
        watchManifests(warn: true)
        reload()
        tick()
        isReady.set()
        // Events are read and handled on this actor's own thread, between its jobs.
        let inotify = self.inotify
        Controller.thread.watch(inotify.descriptor) { [self] in
            assumeIsolated { controller in controller.handle(inotify.read()) }
        }
    }

    /// Stops reading inotify events (at the end of a drain).
    func stopEvents() {
        Controller.thread.unwatch(inotify.descriptor)
    }

    /// Stops intake: no new job starts; queued contents stay pending in the ledger.
    func stopIntake() {
        scheduler.stopIntake()
        DaemonMetrics.queueDepth.record(0)
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

    /// When the loop wakes by itself: the deadline of its current sleep.
    private var loopWakesAt = Date.distantPast

    /// How long the loop may sleep before something is due.
    func timeUntilDue() -> Duration {
        let now = Date()
        let seconds = max(0, secondsUntilDue(now))
        loopWakesAt = now.addingTimeInterval(seconds)
        return .milliseconds(Int64(seconds * 1000))
    }

    private func secondsUntilDue(_ now: Date) -> TimeInterval {
        var seconds = scheduler.timeUntilDue(now: now)
        if let reloadAt { seconds = min(seconds, reloadAt.timeIntervalSince(now)) }
        if console != nil { seconds = min(seconds, revisionCheckAt.timeIntervalSince(now)) }
        if scheduler.queued > 0 { seconds = min(seconds, lastProgress.addingTimeInterval(10).timeIntervalSince(now)) }
        return seconds
    }

    /// Wakes the loop if something is now due before its sleep ends. Work already done here
    /// (events and finished runs are acted on by the controller at once) needs no wake: an
    /// unneeded one costs two hops to the controller and back while a run is being started.
    private func wakeLoopIfSooner() {
        let now = Date()
        if scheduler.intakeStopped || now.addingTimeInterval(secondsUntilDue(now)) < loopWakesAt { wake.signal() }
    }

    /// Does what is due: a manifest reload, then what the scheduler decides for now.
    func tick() {
        guard !scheduler.intakeStopped else { return }
        let now = Date()
        reportProgress(now)
        if let reloadAt, reloadAt <= now {
            self.reloadAt = nil
            reloadInBackground()
        }
        checkPipelinesRevision(now)
        for name in unwatched where pipelines[name] != nil { establish(name) }
        perform(scheduler.tick(now: now, jitter: Double.random(in: 0.9...1.1)), now: now)
        // The looks just done may have queued contents.
        perform(scheduler.dispatchReady(), now: now)
    }

    private func perform(_ effects: [Scheduler.Effect], now: Date) {
        for effect in effects {
            switch effect {
            case .reloadManifests:
                // Also catches manifest changes whose events were lost.
                DaemonMetrics.rescans.increment()
                reloadInBackground(quietly: true)
            case .look(let name, let busy, let paths):
                check(name, busy: busy, paths: paths, now: now)
            case .start(let job):
                start(job)
            case .writerTimedOut(let name, let path):
                logger.warning(
                    "a file has been open for writing longer than the bound; taking it",
                    metadata: ["pipeline": "\(name)", "path": "\(path)"]
                )
            }
        }
        DaemonMetrics.queueDepth.record(scheduler.queued)
        DaemonMetrics.running.record(tasks.count)
    }

    /// A full re-read of manifests and folders, as on SIGHUP.
    func hangUp() {
        logger.info("SIGHUP: re-reading the manifests and every folder")
        scheduler.lookAtEverything()
        reloadInBackground()
        wake.signal()
    }

    // MARK: Manifests

    /// Reloads when the database pipelines changed since the last look (once a second).
    private func checkPipelinesRevision(_ now: Date) {
        guard let console, revisionCheckAt <= now else { return }
        revisionCheckAt = now.addingTimeInterval(1)
        guard let revision = try? console.pipelinesRevision() else { return }
        if let known = pipelinesRevision, known != revision { reloadInBackground() }
        pipelinesRevision = revision
    }

    /// Applies a change to the database pipelines at once (made through this daemon's console).
    func pipelinesEdited() {
        reloadInBackground()
    }

    /// The order this replica takes runnable contents in, when the state is shared: its own
    /// random order. Replicas that see the same files in one order would all claim them in that
    /// order, each claim but one lost, in lockstep; starting at different places in one order is
    /// not enough, as a replica just behind another keeps losing to it. Alone, a replica takes
    /// them in path order.
    private func spread(_ runnable: [FileChange]) -> [FileChange] {
        guard store is any StateNotifying, runnable.count > 1 else { return runnable }
        return runnable.shuffled()
    }

    /// After a claim lost to another replica: what else in the pipeline's queue the ledger says is
    /// running elsewhere or decided leaves the queue until the leases could expire, so that one
    /// read replaces a lost claim for each of them.
    private func withdrawTakenContents(_ name: String, until: Date) {
        let queued = scheduler.queue(of: name)
        guard !queued.isEmpty,
            let entries = try? store.ledger(pipeline: name, sha256s: Set(queued.map(\.sha256)))
        else { return }
        let now = Date()
        let owner = applier.owner.description
        let taken = entries.values.filter { $0.claimed(by: owner, at: now, lease: applier.lease) == nil }
        scheduler.withdraw(name, sha256s: Set(taken.map(\.sha256)), lookAgainAt: until)
    }

    /// Acts on news from another process sharing the state: new contents are looked at (by
    /// path) at once, as a local event would have them; a run ended elsewhere frees a held
    /// pipeline's slot; a change of the database pipelines is read; after an interruption,
    /// everything is looked at again.
    func noticed(_ notice: StateNotice) {
        switch notice {
        case .seen(let name, let paths):
            guard pipelines[name] != nil else { return }
            if paths.isEmpty { scheduler.lookAtAll(name) }
            // As a rename into the folder: a writer this host sees open is still waited for.
            for path in paths { scheduler.fileEvent(.movedIn, pipeline: name, path: path, now: Date()) }
            tick()
        case .finished(let name):
            perform(scheduler.slotFreedElsewhere(name), now: Date())
        case .pipelinesChanged:
            reloadInBackground()
        case .resumed:
            scheduler.lookAtEverything()
            reloadInBackground()
        }
    }

    /// Looks at a pipeline's whole folder now: its ledger changed from outside (a retry made
    /// due, a content forgotten), which no file event announces.
    func lookAgain(_ name: String) {
        scheduler.lookAtAll(name)
        tick()
    }

    /// Watches the pipelines folder where it resolves now, and the names leading to it. Called
    /// at start, when a name leading to it changes (a swapped link, a recreated folder), and
    /// after a read while the folder has no watch, so that a lost watch comes back by the next rescan.
    private func watchManifests(warn: Bool = false) {
        var wanted: [Int32: Set<String>] = [:]
        for (folder, name) in ManifestLinks.names(of: options.pipelines) {
            if let watch = try? inotify.add(folder, mask: InotifyMask.names) {
                wanted[watch, default: []].insert(name)
            }
        }
        let previous = [manifestWatch].compactMap { $0 } + manifestNameWatches.keys
        manifestNameWatches = wanted
        do {
            manifestWatch = try inotify.add(
                options.pipelines,
                mask: InotifyMask.closeWrite | InotifyMask.movedTo | InotifyMask.movedFrom
                    | InotifyMask.delete | InotifyMask.create | InotifyMask.deleteSelf | InotifyMask.moveSelf
            )
        } catch {
            manifestWatch = nil
            if warn {
                logger.warning(
                    "cannot watch the pipelines folder; it is re-read on SIGHUP and at each rescan",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        for watch in previous where !isManifestWatch(watch) && watches.owners(of: watch).isEmpty {
            inotify.remove(watch)
        }
    }

    private func isManifestWatch(_ watch: Int32) -> Bool {
        watch == manifestWatch || manifestNameWatches[watch] != nil
    }

    /// Reads the manifests synchronously: at start only, before any job runs.
    private func reload(quietly: Bool = false) {
        apply(Result { try DesiredState.load(options.pipelines, database: console) }, quietly: quietly)
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
        let console = self.console
        Task.detached { [self] in
            let loaded = Result { try DesiredState.load(folder, database: console) }
            await self.finishReading(loaded, quietly: quietly)
        }
    }

    private func finishReading(_ loaded: Result<ManifestSet, any Error>, quietly: Bool) {
        reading = false
        if manifestWatch == nil { watchManifests() }
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
            logger.error(
                "cannot read the pipelines folder; the running pipelines keep their specs",
                metadata: ["error": "\(error)"]
            )
            return
        }
        let applied: [AppliedSpec]
        do { applied = try store.appliedSpecs() } catch {
            logger.error("cannot read the state", metadata: ["error": "\(error)"])
            return
        }
        let plan = Planner.plan(
            Planner.Input(
                manifests: loaded,
                applied: applied,
                observed: [:],
                ledgers: [:],
                now: Date(),
                allowEmpty: options.allowEmpty
            )
        )
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
                    logger.error(
                        "cannot record the applied spec",
                        metadata: ["pipeline": "\(pipeline.name)", "error": "\(error)"]
                    )
                    continue
                }
                logger.info(
                    pipeline.change == .create ? "pipeline created" : "pipeline updated",
                    metadata: ["pipeline": "\(pipeline.name)", "manifest": "\(file)"]
                )
                for warning in loaded.diagnostics where warning.severity == .warning && warning.file == file {
                    logger.warning("\(warning)", metadata: ["pipeline": "\(pipeline.name)"])
                }
                replace(pipeline.name, with: (spec, file))
            case .delete:
                do { try store.removeApplied(pipeline.name) } catch {
                    logger.error(
                        "cannot record the deletion",
                        metadata: ["pipeline": "\(pipeline.name)", "error": "\(error)"]
                    )
                }
                logger.info("pipeline deleted; its ledger is kept", metadata: ["pipeline": "\(pipeline.name)"])
                replace(pipeline.name, with: nil)
            case .invalid(let diagnostics):
                let running =
                    pipelines[pipeline.name] != nil
                    ? "the last applied spec keeps running" : "nothing runs until it is fixed"
                if !quietly {
                    for diagnostic in diagnostics {
                        logger.error(
                            "invalid manifest; \(running): \(diagnostic)",
                            metadata: ["pipeline": "\(pipeline.name)"]
                        )
                    }
                }
                if pipelines[pipeline.name] == nil, let spec = pipeline.effective, let file = pipeline.file {
                    replace(pipeline.name, with: (spec, file))
                }
            case .unchanged:
                if pipelines[pipeline.name] == nil, let spec = pipeline.effective, let file = pipeline.file {
                    replace(pipeline.name, with: (spec, file))
                }
            }
        }
        if !quietly {
            for diagnostic in loaded.diagnostics
            where diagnostic.severity == .error && !plan.pipelines.contains(where: { $0.file == diagnostic.file }) {
                logger.error("invalid manifest: \(diagnostic)")
            }
        }
    }

    /// Starts, restarts with a new spec, or stops one pipeline's watching.
    private func replace(_ name: String, with new: (pipeline: Pipeline, file: String)?) {
        release(name)
        fallbackPolled.remove(name)
        unwatched.remove(name)
        owingNothing.remove(name)
        pipelines[name] = new
        scheduler.pipelinesChanged(slots, replaced: [name])
        guard new != nil else { return }
        DaemonMetrics.register(name)
        establish(name)
    }

    /// What the scheduler needs to know of each pipeline.
    private var slots: [String: Scheduler.Slot] {
        pipelines.mapValues { entry in
            let watch = entry.pipeline.spec.watch
            let poll =
                !watch.poll.isZero
                ? watch.poll.duration.seconds
                : fallbackPolled.contains(entry.pipeline.name) ? options.fallbackPoll.seconds : nil
            return Scheduler.Slot(
                concurrency: entry.pipeline.spec.run.concurrency,
                suspended: entry.pipeline.spec.suspend,
                poll: poll
            )
        }
    }

    // MARK: Watches

    /// Watches a pipeline's folder tree, unless it is polled (`poll:`); polls it when inotify
    /// has no watch left (with a warning); looks again in 2 s at a folder that is not there.
    private func establish(_ name: String) {
        guard let (pipeline, file) = pipelines[name] else { return }
        unwatched.remove(name)
        if !pipeline.spec.watch.poll.isZero { return }
        let root = Observer.root(of: pipeline, manifestFile: file)
        guard FileStat.ofRoot(root)?.isDirectory == true else {
            unwatched.insert(name)
            scheduler.retryLook(name, at: Date().addingTimeInterval(2))
            return
        }
        do {
            try watchTree(name, root: root, relative: "", filter: WatchFilter(pipeline.spec.watch))
        } catch InotifyError.noSpace {
            logger.warning(
                "inotify watch limit reached; this pipeline is polled instead (raise fs.inotify.max_user_watches)",
                metadata: ["pipeline": "\(name)", "every": "\(options.fallbackPoll)"]
            )
            DaemonMetrics.watchFallbacks.increment()
            release(name)
            fallbackPolled.insert(name)
            scheduler.pipelinesChanged(slots, replaced: [])
        } catch {
            logger.warning(
                "cannot watch a folder; it is rescanned instead",
                metadata: ["pipeline": "\(name)", "error": "\(error)"]
            )
            unwatched.insert(name)
            scheduler.retryLook(name, at: Date().addingTimeInterval(2))
        }
    }

    /// Removes a pipeline's watches, except those the manifests' watches share.
    private func release(_ name: String) {
        for watch in watches.release(name) where !isManifestWatch(watch) {
            inotify.remove(watch)
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
        guard !events.isEmpty else { return }
        let now = Date()
        for event in events {
            if event.has(InotifyMask.queueOverflow) {
                logger.warning("inotify queue overflow: rescanning every folder")
                DaemonMetrics.overflows.increment()
                scheduler.overflow()
                continue
            }
            if manifestNameWatches[event.watch] != nil, event.has(InotifyMask.ignored) {
                manifestNameWatches[event.watch] = nil
            } else if manifestNameWatches[event.watch]?.contains(event.name) == true {
                // The folder's name now points elsewhere: watch the new target at once, so that
                // nothing written there from now on is missed, and read it as one change set.
                watchManifests()
                reloadAt = now.addingTimeInterval(0.2)
            }
            if event.watch == manifestWatch {
                if event.has(InotifyMask.ignored) || event.has(InotifyMask.deleteSelf)
                    || event.has(InotifyMask.moveSelf)
                {
                    manifestWatch = nil
                }
                if event.name.hasSuffix(".yaml") || event.name.hasSuffix(".yml") || event.name.isEmpty {
                    reloadAt = now.addingTimeInterval(0.2)
                }
                continue
            }
            if event.has(InotifyMask.ignored) {
                for owner in watches.dropped(event.watch) where owner.folder.isEmpty {
                    unwatched.insert(owner.pipeline)
                    scheduler.lookAtAll(owner.pipeline)
                }
                continue
            }
            for owner in watches.owners(of: event.watch) {
                let path = owner.folder.isEmpty ? event.name : owner.folder + "/" + event.name
                handle(event, path: path, pipeline: owner.pipeline, now: now)
            }
        }
        // Acts on the batch here, already on the actor, rather than after a round trip through
        // the loop's task: a file closed with `settle: 0s` starts without two more thread hops.
        tick()
        wakeLoopIfSooner()
    }

    private func handle(_ event: InotifyEvent, path: String, pipeline name: String, now: Date) {
        guard let (pipeline, file) = pipelines[name] else { return }
        if event.has(InotifyMask.isDirectory) {
            if event.has(InotifyMask.create) || event.has(InotifyMask.movedTo),
                let filter = try? WatchFilter(pipeline.spec.watch), filter.descends(into: path)
            {
                // Files written right after `mkdir -p` are found by the look that follows.
                try? watchTree(
                    name,
                    root: Observer.root(of: pipeline, manifestFile: file),
                    relative: path,
                    filter: filter
                )
                scheduler.fileEvent(.folderAppeared, pipeline: name, path: path, now: now)
            }
            return
        }
        if event.has(InotifyMask.create) || event.has(InotifyMask.modify) {
            scheduler.fileEvent(.writing, pipeline: name, path: path, now: now)
        }
        if event.has(InotifyMask.delete) || event.has(InotifyMask.movedFrom) {
            scheduler.fileEvent(.gone, pipeline: name, path: path, now: now)
        }
        if event.has(InotifyMask.closeWrite) { scheduler.fileEvent(.closed, pipeline: name, path: path, now: now) }
        if event.has(InotifyMask.movedTo) { scheduler.fileEvent(.movedIn, pipeline: name, path: path, now: now) }
    }

    // MARK: Looks

    /// Observes one pipeline's folder (the given paths, or all of it), plans it against its
    /// ledger, records what is news, attempts the file actions due, and tells the scheduler what
    /// is runnable, what is still settling, and when to look again (a file done settling, a
    /// retry or an owed action falling due). A look at a few paths reads their stat-cache and
    /// ledger rows by key: its cost does not grow with the folder.
    private func check(_ name: String, busy: Set<String>, paths: Set<String>?, now: Date) {
        guard let (pipeline, file) = pipelines[name] else { return }
        let look: Observer.Look
        let ledger: [String: LedgerEntry]
        do {
            look = try Observer(store: store).look(pipeline, manifestFile: file, now: now, busy: busy, only: paths) {
                [logger] files, bytes in
                logger.info(
                    "hashing the backlog",
                    metadata: ["pipeline": "\(name)", "files": "\(files)", "MiB": "\(bytes >> 20)"]
                )
            }
            if paths == nil {
                ledger = try store.ledger(pipeline: name)
            } else {
                ledger = try store.ledger(pipeline: name, sha256s: Set(look.folder.files.compactMap(\.sha256)))
            }
        } catch {
            logger.error("cannot observe the folder", metadata: ["pipeline": "\(name)", "error": "\(error)"])
            scheduler.retryLook(name, at: now.addingTimeInterval(5))
            return
        }
        let folder = look.folder
        let plan = Planner.planFiles(
            PipelinePlan(name: name, file: file, change: .unchanged, effective: pipeline),
            folder: folder,
            ledger: ledger,
            now: now
        )
        // The same ledger update as reconcile's (the planner says what is news), committed with
        // the look's stat-cache rows. A look at a few paths that makes a content runnable is
        // committed with the claim of the first run it starts: one commit before the run, not two.
        let record = LookRecord(
            pipeline: name,
            observations: look.observations,
            removed: look.removed,
            seen: plan.seen,
            at: now
        )
        let recordWithClaim = paths != nil && !plan.runnable.isEmpty
        if recordWithClaim { unrecordedLooks[name] = record } else { self.record(record) }
        var next = folder.nextReady
        do {
            if paths == nil || owesFileActions(name, pipeline) {
                let settled = try applier.settleFileActions(of: pipeline, manifestFile: file, now: now, dueOnly: true)
                for problem in settled.problems {
                    logger.warning("\(problem.terminalSafe)", metadata: ["pipeline": "\(name)"])
                }
                if let due = settled.nextDue { next = min(next ?? due, due) }
                if settled.nextDue == nil { owingNothing.insert(name) } else { owingNothing.remove(name) }
            }
        } catch {
            logger.error("cannot settle file actions", metadata: ["pipeline": "\(name)", "error": "\(error)"])
        }
        // Files still settling, and failed contents whose retry is not due yet: looked at again
        // when the first of them is due.
        var settling = Set(folder.files.filter { $0.status == .settling }.map(\.path))
        // So are contents another replica runs, when its lease would expire: a replica that dies
        // or freezes has its contents taken over then, not at the next rescan.
        for change in plan.files where (change.action == .retry && !change.isDue) || change.action == .running {
            settling.insert(change.path)
            if let due = change.nextAttemptAt { next = min(next ?? due, due) }
        }
        scheduler.looked(
            name,
            paths: paths,
            runnable: spread(plan.runnable),
            settling: settling,
            nextDue: next,
            now: now
        )
        if recordWithClaim {
            perform(scheduler.dispatchReady(), now: now)
            // No run started (slots full, intake stopped): the look is committed on its own.
            if let left = unrecordedLooks.removeValue(forKey: name) { self.record(left) }
        }
    }

    /// Looks whose record waits for the claim of the run they make due (see `check`).
    private var unrecordedLooks: [String: LookRecord] = [:]

    private func record(_ look: LookRecord) {
        do {
            try store.recordLook(
                pipeline: look.pipeline,
                observations: look.observations,
                removing: look.removed,
                seen: look.seen,
                at: look.at
            )
        } catch {
            logger.error("cannot record seen files", metadata: ["pipeline": "\(look.pipeline)", "error": "\(error)"])
        }
    }

    /// Pipelines whose last settle left no file action owed. While their spec moves and deletes
    /// nothing, no new action can be owed either, and a look at a few paths skips the read of
    /// owed actions (a store read on the way from a file's close to its command's start).
    private var owingNothing: Set<String> = []

    private func owesFileActions(_ name: String, _ pipeline: Pipeline) -> Bool {
        !owingNothing.contains(name) || pipeline.spec.onSuccess != .keep || pipeline.spec.onFailure != .keep
    }

    // MARK: Runs

    private var processedSinceStart = 0
    private var lastProgress = Date.distantPast

    /// A progress line every 10 s while a backlog is being worked through.
    private func reportProgress(_ now: Date) {
        let queued = scheduler.queued
        guard queued > 0, now.timeIntervalSince(lastProgress) >= 10 else { return }
        lastProgress = now
        logger.info(
            "progress",
            metadata: ["queued": "\(queued)", "running": "\(tasks.count)", "done": "\(processedSinceStart)"]
        )
    }

    private func start(_ job: Scheduler.Job) {
        guard let (pipeline, file) = pipelines[job.pipeline] else {
            perform(scheduler.finished(job, nextAttemptAt: nil), now: Date())
            return
        }
        // The claim and the command's start block this thread, which is the controller's own: a
        // run starts with no hand-over to another thread; only its wait is handed over.
        let launch: Result<Applier.Launch, any Error>
        let look = unrecordedLooks.removeValue(forKey: job.pipeline)
        do {
            let claim = try applier.claim(job.file, of: pipeline, manifestFile: file, recording: look)
            launch = .success(applier.launch(claim))
        } catch {
            launch = .failure(error)
            // The look went with the failed claim's transaction: it is committed on its own.
            if let look { record(look) }
        }
        let applier = self.applier
        tasks[job.key] = Task {
            let report: Applier.Report
            switch launch {
            case .success(let launch):
                report = await applier.finish(launch)
            case .failure(let error):
                report = Applier.Report(
                    fileActionProblems: [Applier.storeProblem(pipeline: job.pipeline, path: job.file.path, error)]
                )
            }
            self.finished(job, report)
        }
    }

    private func finished(_ job: Scheduler.Job, _ report: Applier.Report) {
        let name = job.pipeline
        tasks[job.key] = nil
        processedSinceStart += report.runs.count
        var retryAt: Date?
        for run in report.runs {
            DaemonMetrics.runDuration(name).recordNanoseconds(Int64(run.duration.seconds * 1e9))
            var metadata: Logger.Metadata = [
                "pipeline": "\(name)", "path": "\(run.path)", "run": "\(run.runID)",
                "outcome": "\(run.outcome.description)",
            ]
            if run.outcome.isSuccess {
                DaemonMetrics.processed(name).increment()
                logger.info("processed", metadata: metadata)
            } else {
                metadata["state"] = "\(run.state.rawValue)"
                metadata["log"] = "\(run.logFile)"
                DaemonMetrics.failed(name).increment()
                if run.state == .quarantined { DaemonMetrics.quarantined(name).increment() }
                logger.warning("run failed", metadata: metadata)
                retryAt = run.nextAttemptAt
            }
        }
        if report.lostClaims > 0 {
            // Another replica claimed the content first: look again once its lease could have expired.
            let takeOver = Date().addingTimeInterval(applier.lease)
            retryAt = min(retryAt ?? takeOver, takeOver)
            withdrawTakenContents(name, until: takeOver)
        }
        for problem in report.fileActionProblems { logger.warning("\(problem)", metadata: ["pipeline": "\(name)"]) }
        // A run of an earlier spec may have left an action owed.
        if !report.fileActionProblems.isEmpty { owingNothing.remove(name) }
        if report.slotsTakenElsewhere > 0 {
            perform(scheduler.slotsTakenElsewhere(job, until: Date().addingTimeInterval(0.5)), now: Date())
        } else {
            perform(scheduler.finished(job, nextAttemptAt: retryAt), now: Date())
        }
        wakeLoopIfSooner()
    }
}
