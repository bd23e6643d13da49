import Foundation

/// The daemon's decisions as a value: which folders to look at, which contents to run, when to
/// wake. It takes events (a file event on a path, an overflow, the pipelines changed, a look's
/// result, a run finished, a tick of the clock) with the time they happen, and returns the
/// effects to perform. It does no I/O and reads no clock, so every rule — settle, a pausing
/// writer, retries, overflow, fairness, suspend, drain — is unit-tested event by event, and a
/// thin shell (`Controller`) performs the effects with inotify, the store and the executor.
///
/// Level-triggered: an event only marks a pipeline for a look; the look re-reads the folder and
/// the ledger. A lost event costs latency (until the periodic rescan), never a file.
public struct Scheduler: Sendable {
    /// The settings the rules depend on.
    public struct Options: Sendable {
        /// Jobs running at once, all pipelines together.
        public var maxJobs: Int
        /// The period of the full rescan of every folder (jittered by ±10%).
        public var rescanInterval: TimeInterval
        /// How long a file seen open for writing is waited for before it is taken anyway.
        public var openWriterBound: TimeInterval

        public init(maxJobs: Int, rescanInterval: TimeInterval, openWriterBound: TimeInterval) {
            self.maxJobs = maxJobs
            self.rescanInterval = rescanInterval
            self.openWriterBound = openWriterBound
        }
    }

    /// What the rules need to know of a pipeline.
    public struct Slot: Sendable, Hashable {
        /// `run.concurrency`.
        public var concurrency: Int
        /// `spec.suspend`: looks go on, runs do not start.
        public var suspended: Bool
        /// Seconds between looks when the folder is polled (`poll:`, or no inotify watch left).
        public var poll: TimeInterval?

        public init(concurrency: Int, suspended: Bool = false, poll: TimeInterval? = nil) {
            self.concurrency = concurrency
            self.suspended = suspended
            self.poll = poll
        }
    }

    /// One content to run in one pipeline.
    public struct Job: Sendable, Hashable {
        public var pipeline: String
        public var file: FileChange
        public var key: String { pipeline + "\u{0}" + file.sha256 }

        public init(pipeline: String, file: FileChange) {
            self.pipeline = pipeline
            self.file = file
        }
    }

    /// What happened to a path, as the kernel reported it.
    public enum FileEvent: Sendable, Hashable {
        /// Created or modified: a writer has it open.
        case writing
        /// Closed after writing: complete, as far as the writer knows.
        case closed
        /// Renamed into the folder: complete.
        case movedIn
        /// Deleted or renamed away.
        case gone
        /// A folder appeared: it and what it holds need a look.
        case folderAppeared
    }

    /// What the shell does for the scheduler.
    public enum Effect: Sendable, Hashable {
        /// Look at a pipeline's folder, taking the paths in `busy` as not ready (open for
        /// writing), and report `looked`: at `paths` only (what events named, files settling,
        /// retries due), or at the whole folder when `paths` is `nil` (at start, after an
        /// overflow, a new folder, a changed pipeline, at each rescan, and for polled folders).
        case look(pipeline: String, busy: Set<String>, paths: Set<String>?)
        /// Re-read the manifests (at each rescan, which also catches lost manifest events).
        case reloadManifests
        /// Start a run; report `finished` when it ends.
        case start(Job)
        /// A file open for writing longer than the bound is taken anyway: worth a warning.
        case writerTimedOut(pipeline: String, path: String)
    }

    public let options: Options
    private(set) var slots: [String: Slot] = [:]
    /// Pipelines due for a look at their whole folder.
    private(set) var dirty: Set<String> = []
    /// Paths events named since the last look, by pipeline: due for a look at once.
    private(set) var touched: [String: Set<String>] = [:]
    /// Paths to look at again when the pipeline's timer fires: files settling or open, retries.
    private(set) var pending: [String: Set<String>] = [:]
    private(set) var timers: [String: Date] = [:]
    /// When a pipeline's whole folder is due for a look (its folder could not be read).
    private(set) var fullTimers: [String: Date] = [:]
    private(set) var writing: [String: [String: Date]] = [:]
    private(set) var queues: [String: [Job]] = [:]
    private(set) var running: [String: Int] = [:]
    /// Pipelines whose slots other replicas fill: no job of theirs starts before the time.
    private(set) var held: [String: Date] = [:]
    private var inFlight: Set<String> = []
    private var rotation = 0
    private var nextRescan: Date
    public private(set) var intakeStopped = false

    /// A scheduler whose first rescan is due one interval (times `jitter`, in 0.9…1.1) after `now`.
    public init(options: Options, now: Date, jitter: Double = 1) {
        self.options = options
        nextRescan = now.addingTimeInterval(options.rescanInterval * jitter)
    }

    // MARK: Events

    /// The pipelines now in force. A new or changed pipeline (in `replaced`) loses its queue,
    /// timers and open writers and gets a look; its running jobs finish under the old spec. A
    /// pipeline no longer listed is forgotten the same way.
    public mutating func pipelinesChanged(_ new: [String: Slot], replaced: Set<String>) {
        for name in Set(slots.keys).union(new.keys) where new[name] == nil || replaced.contains(name) {
            forget(name)
        }
        for (name, slot) in new where slots[name] != slot || replaced.contains(name) {
            dirty.insert(name)
        }
        slots = new
    }

    /// A kernel event about `path` (relative to the pipeline's folder).
    public mutating func fileEvent(_ event: FileEvent, pipeline: String, path: String, now: Date) {
        guard slots[pipeline] != nil else { return }
        switch event {
        case .writing:
            if writing[pipeline]?[path] == nil { writing[pipeline, default: [:]][path] = now }
        case .closed:
            writing[pipeline]?[path] = nil
            touched[pipeline, default: []].insert(path)
        case .movedIn:
            touched[pipeline, default: []].insert(path)
        case .folderAppeared:
            dirty.insert(pipeline)
        case .gone:
            writing[pipeline]?[path] = nil
        }
    }

    /// The kernel's queue overflowed: events were lost, so every folder gets a whole look, and
    /// which files are still open is unknown (closes may be among the lost).
    public mutating func overflow() {
        dirty.formUnion(slots.keys)
        writing = [:]
    }

    /// A full look at every folder, as on SIGHUP.
    public mutating func lookAtEverything() {
        dirty.formUnion(slots.keys)
    }

    /// A full look at one pipeline's folder at the next tick (its watch was dropped: the folder
    /// was removed or moved).
    public mutating func lookAtAll(_ pipeline: String) {
        if slots[pipeline] != nil { dirty.insert(pipeline) }
    }

    /// A pipeline's folder cannot be watched or looked at now: look at all of it at `time`.
    public mutating func retryLook(_ pipeline: String, at time: Date) {
        fullTimers[pipeline] = min(fullTimers[pipeline] ?? time, time)
    }

    /// The result of a `look` at `paths` (`nil`: the whole folder): the contents runnable now
    /// are queued (once: a content queued or running is not queued again); the paths still
    /// `settling` (or open, or waiting for a retry) are looked at again when the pipeline's timer
    /// fires, timed for the first of: a file done settling or a retry falling due (`nextDue`),
    /// the open-writer bound, the poll period.
    public mutating func looked(
        _ pipeline: String,
        paths: Set<String>? = nil,
        runnable: [FileChange],
        settling: Set<String> = [],
        nextDue: Date?,
        now: Date
    ) {
        guard let slot = slots[pipeline], !intakeStopped else { return }
        if let paths {
            pending[pipeline] = (pending[pipeline] ?? []).subtracting(paths).union(settling)
        } else {
            pending[pipeline] = settling
        }
        var queue = queues[pipeline] ?? []
        for change in runnable {
            let job = Job(pipeline: pipeline, file: change)
            guard inFlight.insert(job.key).inserted else { continue }
            queue.append(job)
        }
        queues[pipeline] = queue
        var next = nextDue
        if let oldest = writing[pipeline]?.values.min() {
            let bound = oldest.addingTimeInterval(options.openWriterBound)
            next = min(next ?? bound, bound)
        }
        if let poll = slot.poll {
            let time = now.addingTimeInterval(poll)
            next = min(next ?? time, time)
        }
        if let next { schedule(pipeline, at: next) }
    }

    /// A run ended. A failure due again later sets a timer for it; the slot it held is free.
    public mutating func finished(_ job: Job, nextAttemptAt: Date?) -> [Effect] {
        running[job.pipeline, default: 1] -= 1
        if running[job.pipeline] == 0 { running[job.pipeline] = nil }
        inFlight.remove(job.key)
        if let next = nextAttemptAt, slots[job.pipeline] != nil {
            pending[job.pipeline, default: []].insert(job.file.path)
            schedule(job.pipeline, at: next)
        }
        return dispatch()
    }

    /// A job's claim was refused because other replicas run the pipeline's `concurrency`
    /// already: it goes back to the head of its queue, and the pipeline starts nothing until
    /// `until`, rather than trying its whole queue against the full slots.
    public mutating func slotsTakenElsewhere(_ job: Job, until: Date) -> [Effect] {
        running[job.pipeline, default: 1] -= 1
        if running[job.pipeline] == 0 { running[job.pipeline] = nil }
        if slots[job.pipeline] != nil {
            queues[job.pipeline, default: []].insert(job, at: 0)
            held[job.pipeline] = max(held[job.pipeline] ?? until, until)
        } else {
            inFlight.remove(job.key)
        }
        return dispatch()
    }

    /// Another replica ended a run of `pipeline`: a hold for its full slots ends now.
    public mutating func slotFreedElsewhere(_ pipeline: String) -> [Effect] {
        guard held.removeValue(forKey: pipeline) != nil else { return [] }
        return dispatch()
    }

    /// Contents queued in `pipeline` are running elsewhere or decided already (the ledger says
    /// so, after a claim lost to another replica): they leave the queue, and their paths are
    /// looked at again at `lookAgainAt` (when the other claims' leases could expire), rather
    /// than each costing a lost claim.
    public mutating func withdraw(_ pipeline: String, sha256s: Set<String>, lookAgainAt: Date) {
        guard var queue = queues[pipeline], !sha256s.isEmpty else { return }
        let withdrawn = queue.filter { sha256s.contains($0.file.sha256) }
        guard !withdrawn.isEmpty else { return }
        queue.removeAll { sha256s.contains($0.file.sha256) }
        queues[pipeline] = queue
        for job in withdrawn {
            inFlight.remove(job.key)
            pending[pipeline, default: []].insert(job.file.path)
        }
        schedule(pipeline, at: lookAgainAt)
    }

    /// The contents waiting for a slot in `pipeline`, in the order they will start.
    public func queue(of pipeline: String) -> [FileChange] { queues[pipeline]?.map(\.file) ?? [] }

    /// Shutdown begins: no job starts any more; queued contents stay pending in the ledger.
    public mutating func stopIntake() {
        intakeStopped = true
        for name in queues.keys { dropQueue(name) }
    }

    // MARK: Time

    /// What is due at `now`: the manifests at a rescan (and a look at every folder), the looks
    /// of pipelines marked or whose timer fired, then the runs that free slots allow.
    /// `jitter` (0.9…1.1) spreads the next rescan.
    public mutating func tick(now: Date, jitter: Double = 1) -> [Effect] {
        guard !intakeStopped else { return [] }
        var effects: [Effect] = []
        var full = dirty
        dirty = []
        var timed: Set<String> = []
        for (name, time) in timers where time <= now {
            timed.insert(name)
            timers[name] = nil
        }
        for (name, time) in fullTimers where time <= now {
            full.insert(name)
            fullTimers[name] = nil
        }
        for (name, time) in held where time <= now { held[name] = nil }
        if now >= nextRescan {
            nextRescan = now.addingTimeInterval(options.rescanInterval * jitter)
            effects.append(.reloadManifests)
            full.formUnion(slots.keys)
        }
        // A polled folder has no events: whatever wakes it gets a look at all of it.
        full.formUnion(timed.filter { slots[$0]?.poll != nil })
        for name in Set(touched.keys).union(timed).union(full).sorted() {
            guard slots[name] != nil else { continue }
            var paths: Set<String>? = touched.removeValue(forKey: name) ?? []
            if timed.contains(name) { paths?.formUnion(pending[name] ?? []) }
            var busy: Set<String> = []
            for (path, since) in writing[name] ?? [:] {
                if now.timeIntervalSince(since) >= options.openWriterBound {
                    writing[name]?[path] = nil
                    paths?.insert(path)
                    effects.append(.writerTimedOut(pipeline: name, path: path))
                } else {
                    busy.insert(path)
                }
            }
            if full.contains(name) { paths = nil }
            // A timer with no path to look at is for an owed file action: a look at no path does it.
            if let wanted = paths, wanted.isEmpty, !timed.contains(name) { continue }
            effects.append(.look(pipeline: name, busy: busy, paths: paths))
        }
        return effects + dispatch()
    }

    /// How long the loop may sleep at `now` before something is due.
    public func timeUntilDue(now: Date) -> TimeInterval {
        guard dirty.isEmpty, touched.isEmpty else { return 0 }
        var next = nextRescan
        if let timer = timers.values.min() { next = min(next, timer) }
        if let timer = fullTimers.values.min() { next = min(next, timer) }
        if let hold = held.values.min() { next = min(next, hold) }
        return max(0, next.timeIntervalSince(now))
    }

    /// Contents waiting for a slot, all pipelines together.
    public var queued: Int { queues.values.reduce(0) { $0 + $1.count } }

    /// Jobs running now.
    public var runningCount: Int { running.values.reduce(0, +) }

    /// The runs that free slots allow now: for a shell that performed looks after a `tick`.
    public mutating func dispatchReady() -> [Effect] { dispatch() }

    // MARK: Rules

    /// Starts queued jobs while slots are free: at most `maxJobs` in all, `concurrency` per
    /// pipeline, none for a suspended one, taking pipelines in turn so that one large backlog
    /// does not starve the others.
    private mutating func dispatch() -> [Effect] {
        guard !intakeStopped else { return [] }
        var effects: [Effect] = []
        var names = queues.keys.filter { !(queues[$0]?.isEmpty ?? true) }.sorted()
        while runningCount < options.maxJobs, !names.isEmpty {
            rotation = (rotation + 1) % names.count
            let name = names[rotation]
            guard let slot = slots[name], !slot.suspended, held[name] == nil, (running[name] ?? 0) < slot.concurrency,
                var queue = queues[name], !queue.isEmpty
            else {
                names.remove(at: rotation)
                continue
            }
            let job = queue.removeFirst()
            queues[name] = queue
            running[name, default: 0] += 1
            effects.append(.start(job))
        }
        return effects
    }

    private mutating func schedule(_ pipeline: String, at time: Date) {
        timers[pipeline] = min(timers[pipeline] ?? time, time)
    }

    private mutating func dropQueue(_ pipeline: String) {
        for job in queues.removeValue(forKey: pipeline) ?? [] { inFlight.remove(job.key) }
    }

    private mutating func forget(_ pipeline: String) {
        dropQueue(pipeline)
        timers[pipeline] = nil
        fullTimers[pipeline] = nil
        held[pipeline] = nil
        writing[pipeline] = nil
        touched[pipeline] = nil
        pending[pipeline] = nil
        dirty.remove(pipeline)
    }
}
