import Foundation
import Model

/// Executes a plan: records pipeline changes, runs each runnable content through the executor
/// with its pipeline's concurrency, commits each outcome to the ledger, and only then moves or
/// deletes the file.
public struct Applier: Sendable {
    public let store: any StateStore
    public let executor: Executor
    public let owner: Owner
    /// How long a claim holds without renewal.
    public let lease: TimeInterval
    /// Called as each run is committed, for a progress display.
    public var onFinished: (@Sendable (Finished) -> Void)?
    /// Renews the claims of this applier's runs.
    let leases: LeaseKeeper
    /// Where the process groups of this applier's runs are recorded.
    let groups: GroupJournal

    /// - Parameter lease: how long a claim holds without renewal (see `defaultLease`).
    public init(store: any StateStore, executor: Executor, owner: Owner = .current, lease: TimeInterval = defaultLease)
    {
        self.store = store
        self.executor = executor
        self.owner = owner
        self.lease = lease
        self.leases = LeaseKeeper(store: store, owner: owner.description, lease: lease)
        self.groups = GroupJournal(directory: executor.groupJournals, owner: owner)
    }

    /// One finished run, for the report.
    public struct Finished: Sendable {
        public var pipeline: String
        public var path: String
        public var runID: String
        public var outcome: RunOutcome
        public var state: LedgerState
        public var logFile: String
        /// For a failed content: when it is due again.
        public var nextAttemptAt: Date?
        public var duration: Duration
    }

    public struct Report: Sendable {
        public var runs: [Finished] = []
        /// Contents another process claimed first.
        public var lostClaims = 0
        /// Contents not claimed because other processes run the pipeline's `concurrency` already.
        public var slotsTakenElsewhere = 0
        /// Files whose onSuccess/onFailure action could not be done, and why.
        public var fileActionProblems: [String] = []

        public var succeeded: Int { runs.filter { $0.outcome.isSuccess }.count }
        public var failed: Int { runs.count - succeeded }
        public var allSucceeded: Bool { failed == 0 && fileActionProblems.isEmpty }

        /// Adds what another part of the same apply did.
        mutating func merge(_ other: Report) {
            runs += other.runs
            lostClaims += other.lostClaims
            slotsTakenElsewhere += other.slotsTakenElsewhere
            fileActionProblems += other.fileActionProblems
        }
    }

    /// Finds claims left by dead orchestrators. A run whose shim recorded how it ended keeps that
    /// outcome (a success is not run again, and its `onSuccess` is owed); a run still going or
    /// without a record is killed with its process group, and its content becomes due at once
    /// (execution is at-least-once). Returns how many claims it recovered.
    public func recover(now: Date) async throws -> Int {
        // Store and file calls block: they run on blocking threads, the container removals
        // (a process each) are awaited between them.
        let store = self.store
        let (found, specs) = try await Blocking.run { try self.deadOwnersClaims(now: now) }
        for claim in found {
            for (runtime, name) in claim.containers {
                await Blocking.run { Executor.removeContainer(runtime: runtime, name: name) }
            }
        }
        try await Blocking.run {
            for claim in found {
                // The outcome and the end of the run that decided it are one transaction (the
                // `complete` below): a kill in between would leave a claim with no unfinished run,
                // which the next recovery would take for interrupted, running a success again.
                for (run, outcome) in claim.runs.dropLast() {
                    try store.finishRun(id: run.id, outcome: outcome, endedAt: now, logTail: run.logTail)
                }
                let lastRun = claim.runs.last.map { (id: $0.0.id, logTail: $0.0.logTail) }
                let spec = specs[claim.claim.pipeline]
                let policy =
                    spec.map { RetryPolicy($0.pipeline.spec.run) }
                    ?? RetryPolicy(retries: RunSpec.defaultRetries, backoff: RunSpec.defaultBackoff)
                // A file action owed is recorded with the outcome, and done by the next settle.
                let actions = spec.map { ($0.pipeline.spec.onSuccess, $0.pipeline.spec.onFailure) } ?? (.keep, .keep)
                try store.complete(
                    pipeline: claim.claim.pipeline,
                    sha256: claim.claim.sha256,
                    owner: claim.owner,
                    run: lastRun,
                    outcome: claim.outcome,
                    policy: policy,
                    fileActions: actions,
                    jitter: Double.random(in: 0..<1),
                    at: now
                )
                // Only once the ledger has the outcome may the shims' records go.
                for (run, _) in claim.runs {
                    try? FileManager.default.removeItem(
                        atPath: self.executor.statusFile(pipeline: run.pipeline, runID: run.id)
                    )
                }
            }
            GroupJournal.removeDead(directory: self.executor.groupJournals)
        }
        return found.count
    }

    /// A claim of a dead owner on this host, with what its runs came to.
    private struct DeadClaim: Sendable {
        var claim: LedgerEntry
        var owner: String
        var outcome: RunOutcome
        var runs: [(RunRecord, RunOutcome)]
        /// Containers of its runs still to remove: (runtime, name).
        var containers: [(String, String)]
        /// The process groups its owner's journal holds, by run.
        var groups: [String: Int32] = [:]
    }

    /// The claims of dead owners on this host and their runs' outcomes; kills the process group
    /// of every run without a recorded outcome. Blocks (store calls).
    private func deadOwnersClaims(now: Date) throws -> ([DeadClaim], [String: AppliedSpec]) {
        let unfinished = try store.unfinishedRuns()
        let specs = Dictionary(try store.appliedSpecs().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [DeadClaim] = []
        for claim in try store.claims() {
            guard let claimOwner = claim.owner, let parsed = Owner(claimOwner), parsed.isDeadOnThisHost else {
                continue
            }
            var dead = DeadClaim(claim: claim, owner: claimOwner, outcome: .interrupted, runs: [], containers: [])
            dead.groups = GroupJournal.groups(directory: executor.groupJournals, owner: parsed)
            for (run, runOwner) in unfinished
            where runOwner == claimOwner && run.pipeline == claim.pipeline && run.sha256 == claim.sha256 {
                if let recorded = executor.recordedOutcome(pipeline: run.pipeline, runID: run.id) {
                    dead.outcome = recorded
                    if recorded.isSuccess, let spec = specs[run.pipeline],
                        Applier.changed(
                            FileChange(action: .process, path: run.path, sha256: run.sha256),
                            of: spec.pipeline,
                            manifestFile: spec.file,
                            since: try store.observation(pipeline: run.pipeline, path: run.path)
                        )
                    {
                        dead.outcome = .changedDuringRun
                    }
                } else {
                    if let group = run.processGroup ?? dead.groups[run.id], group > 0,
                        ProcessGroups.belongsToRun(group, startedAt: run.startedAt)
                    {
                        kill(-group, SIGKILL)
                    }
                    if case .container(let container) = specs[run.pipeline]?.pipeline.spec.run.target {
                        dead.containers.append(
                            (container.runtime.rawValue, Executor.containerName(pipeline: run.pipeline, runID: run.id))
                        )
                    }
                }
                dead.runs.append((run, dead.outcome))
            }
            found.append(dead)
        }
        return (found, specs)
    }

    /// Applies `plan`, whose files were observed by `snapshot`.
    public func apply(_ plan: Plan, now: Date) async throws -> Report {
        if let refusal = plan.refusal { throw ApplyError.refused(refusal) }
        let settled = try await Blocking.run { try self.record(plan, now: now) }
        return await withTaskGroup(of: Report.self) { group in
            for pipeline in plan.pipelines {
                guard let spec = pipeline.effective, let file = pipeline.file, !pipeline.runnable.isEmpty else {
                    continue
                }
                group.addTask { await self.run(pipeline.runnable, of: spec, manifestFile: file) }
            }
            var report = settled
            for await partial in group {
                report.runs += partial.runs
                report.lostClaims += partial.lostClaims
                report.fileActionProblems += partial.fileActionProblems
            }
            report.runs.sort { ($0.pipeline, $0.path) < ($1.pipeline, $1.path) }
            return report
        }
    }

    /// Records the plan's pipeline changes and the contents seen, and settles the file actions
    /// owed. Blocks (store and file calls).
    private func record(_ plan: Plan, now: Date) throws -> Report {
        for pipeline in plan.pipelines {
            switch pipeline.change {
            case .create, .update:
                if let spec = pipeline.effective, let file = pipeline.file {
                    try store.recordApplied(spec, file: file, at: now)
                }
            case .delete:
                try store.removeApplied(pipeline.name)
            case .invalid, .unchanged:
                break
            }
            if pipeline.effective != nil, pipeline.change != .delete {
                try store.recordSeen(pipeline: pipeline.name, contents: pipeline.seen, at: now)
            }
        }
        var settled = Report()
        for pipeline in plan.pipelines {
            guard let spec = pipeline.effective, let file = pipeline.file, pipeline.change != .delete else { continue }
            settled.fileActionProblems += try settleFileActions(of: spec, manifestFile: file, now: now, dueOnly: false)
                .problems
        }
        return settled
    }

    /// Runs a pipeline's files, at most `run.concurrency` at once: each of that many blocking
    /// calls claims, runs and commits files one after another until none is left, so that a
    /// file costs no hop between threads.
    private func run(_ files: [FileChange], of pipeline: Pipeline, manifestFile: String) async -> Report {
        let queue = FileQueue(files)
        return await withTaskGroup(of: Report.self) { group in
            for _ in 0..<min(pipeline.spec.run.concurrency, files.count) {
                group.addTask {
                    await self.inSlot { slot in
                        var report = Report()
                        while !slot.isStopped, let file = queue.next() {
                            let cancellation = slot.nextRun()
                            report.merge(self.process(file, of: pipeline, manifestFile: manifestFile, cancellation))
                        }
                        return report
                    }
                }
            }
            var report = Report()
            for await partial in group { report.merge(partial) }
            return report
        }
    }

    /// How long a claim holds without renewal, unless told otherwise. A run renews its claim
    /// every third of it; an orchestrator that dies, freezes or loses the database stops
    /// renewing, and after this long another one may take the content over.
    public static let defaultLease: TimeInterval = 60

    /// Runs `body` until it succeeds, waiting 0.5 s, then twice as long up to 10 s, between
    /// tries, for a lease's worth of time: an outcome is worth keeping through a database restart
    /// (recorded late rather than run again). The last error is thrown when time is up, or at
    /// once when the run is cancelled. Blocks.
    private func persistently<T>(_ cancellation: RunCancellation, _ body: () throws -> T) throws -> T {
        let deadline = ContinuousClock.now + .seconds(lease)
        var delay = Duration.milliseconds(500)
        while true {
            do { return try body() } catch {
                guard ContinuousClock.now + delay < deadline, !cancellation.wait(for: delay) else { throw error }
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    /// A content claimed by this process for one run: what `launch` needs to run and commit it.
    public struct ClaimedRun: Sendable {
        var file: FileChange
        var pipeline: Pipeline
        var manifestFile: String
        var request: Executor.Request
        /// The stat cache's observation of the file's path when it was claimed: a file that
        /// changes during its run is told by comparing with it.
        var observed: Observation?
    }

    /// What a claim came to.
    public enum Claim: Sendable {
        /// The content is this process's to run.
        case claimed(ClaimedRun)
        /// The content is claimable, but the pipeline's `concurrency` is taken by other owners.
        case slotsTakenElsewhere
        /// Another owner holds the content, or has decided it.
        case lostClaim
    }

    /// Claims, runs and commits one content, then performs its file action: the unit of work of
    /// both `reconcile` and the daemon.
    public func process(_ file: FileChange, of pipeline: Pipeline, manifestFile: String) async -> Report {
        await inSlot { slot in process(file, of: pipeline, manifestFile: manifestFile, slot.nextRun()) }
    }

    /// `process`, blocking: store calls block (SQLite, or a wait on a PostgreSQL connection), and
    /// so does the run's supervision.
    private func process(
        _ file: FileChange,
        of pipeline: Pipeline,
        manifestFile: String,
        _ cancellation: RunCancellation
    ) -> Report {
        do {
            return run(try claim(file, of: pipeline, manifestFile: manifestFile), cancellation: cancellation)
        } catch {
            return Report(fileActionProblems: [Applier.storeProblem(pipeline: pipeline.name, path: file.path, error)])
        }
    }

    /// `work` on a blocking thread, its slot stopped when this task is cancelled.
    private func inSlot(
        isolation: isolated (any Actor)? = #isolation,
        _ work: @escaping @Sendable (RunSlot) -> Report
    ) async -> Report {
        let slot = RunSlot()
        return await withTaskCancellationHandler {
            await Blocking.run({ work(slot) }, isolation: isolation)
        } onCancel: {
            slot.stop()
        }
    }

    /// How a report says that the store failed a content's claim or commit.
    static func storeProblem(pipeline: String, path: String, _ error: any Error) -> String {
        "\(pipeline)/\(path): state store error: \(error)"
    }

    /// Claims `file` for a run of `pipeline`, recording the run in the same transaction (and the
    /// look that found the file, when given: the daemon's look and claim then cost one commit).
    /// Blocks (store calls): the daemon calls it on its controller's thread, `process` on a
    /// blocking one.
    public func claim(
        _ file: FileChange,
        of pipeline: Pipeline,
        manifestFile: String,
        recording look: LookRecord? = nil
    ) throws -> Claim {
        let runID = Applier.newRunID()
        let request = Executor.Request(
            pipeline: pipeline,
            manifestFile: manifestFile,
            relativePath: file.path,
            sha256: file.sha256,
            runID: runID
        )
        let record = RunRecord(
            id: runID,
            pipeline: pipeline.name,
            sha256: file.sha256,
            path: file.path,
            startedAt: Date(),
            logFile: executor.logFile(for: request)
        )
        let owner = self.owner.description
        let concurrency = pipeline.spec.run.concurrency
        let claimed: (entry: LedgerEntry, observed: Observation?)?
        if let look {
            claimed = try store.recordLook(
                look,
                thenClaim: file.sha256,
                path: file.path,
                owner: owner,
                run: record,
                lease: lease,
                concurrency: concurrency
            )
        } else {
            claimed = try store.claimObserving(
                pipeline: pipeline.name,
                sha256: file.sha256,
                path: file.path,
                owner: owner,
                run: record,
                lease: lease,
                concurrency: concurrency,
                at: Date()
            )
        }
        guard let (_, observed) = claimed else {
            // Still claimable as far as the ledger goes: the pipeline's slots are taken elsewhere.
            let entry = try store.ledger(pipeline: pipeline.name, sha256s: [file.sha256])[file.sha256]
            let claimable = entry?.claimed(by: owner, at: Date(), lease: lease) != nil
            return claimable ? .slotsTakenElsewhere : .lostClaim
        }
        return .claimed(
            ClaimedRun(file: file, pipeline: pipeline, manifestFile: manifestFile, request: request, observed: observed)
        )
    }

    /// A claim whose command has been started, or that runs nothing (lost, slots taken, or a
    /// command that could not start): what `finish` waits for and commits.
    public struct Launch: Sendable {
        fileprivate enum State: Sendable {
            case notRun(Report)
            case started(StartedClaim)
        }
        fileprivate let state: State
        fileprivate let cancellation: RunCancellation
    }

    /// Starts a claimed content's command on the calling thread and returns at once: the daemon
    /// claims and starts a run on its controller's thread, so that no thread hand-over stands
    /// between a file's arrival and its command's start, and waits for it elsewhere (`finish`).
    public func launch(_ claim: Claim) -> Launch {
        launch(claim, cancellation: RunCancellation())
    }

    /// Waits for a launched run on a blocking thread, commits its outcome, then performs its file
    /// action; cancelling the awaiting task cancels the run. A claim lost to another owner
    /// reports as such and ran nothing.
    public func finish(_ launch: Launch, isolation: isolated (any Actor)? = #isolation) async -> Report {
        await withTaskCancellationHandler {
            await Blocking.run({ self.finish(launch) }, isolation: isolation)
        } onCancel: {
            launch.cancellation.cancel(.stopping)
        }
    }

    /// `launch` then `finish`, blocking: the run is supervised, committed and its file action done
    /// on the calling thread, while the lease keeper renews the claim.
    private func run(_ claim: Claim, cancellation: RunCancellation) -> Report {
        finish(launch(claim, cancellation: cancellation))
    }

    private func launch(_ claim: Claim, cancellation: RunCancellation) -> Launch {
        let claimed: ClaimedRun
        switch claim {
        case .claimed(let run):
            claimed = run
        case .slotsTakenElsewhere:
            return Launch(state: .notRun(Report(slotsTakenElsewhere: 1)), cancellation: cancellation)
        case .lostClaim:
            return Launch(state: .notRun(Report(lostClaims: 1)), cancellation: cancellation)
        }
        let runID = claimed.request.runID
        let at = ContinuousClock.now
        var (held, journalSlot): (Int?, Int?) = (nil, nil)
        // Once the command is started: what a run needs while it lasts comes after its start.
        let started = executor.start(claimed.request, cancellation: cancellation) { group in
            journalSlot = groups.record(runID: runID, group: group)
            if journalSlot == nil { _ = try? store.setProcessGroup(runID: runID, group) }
            held = leases.hold(pipeline: claimed.pipeline.name, sha256: claimed.file.sha256, cancellation: cancellation)
        }
        return Launch(
            state: .started(
                StartedClaim(claimed: claimed, process: started, at: at, journalSlot: journalSlot, held: held)
            ),
            cancellation: cancellation
        )
    }

    private func finish(_ launch: Launch) -> Report {
        switch launch.state {
        case .notRun(let report):
            return report
        case .started(let run):
            return finish(run, cancellation: launch.cancellation)
        }
    }

    /// A claimed content whose command was started: what its end needs.
    fileprivate struct StartedClaim: Sendable {
        var claimed: ClaimedRun
        var process: Executor.StartedRun
        var at: ContinuousClock.Instant
        var journalSlot: Int?
        var held: Int?
    }

    private func finish(_ run: StartedClaim, cancellation: RunCancellation) -> Report {
        let (claimed, started, at, journalSlot, held) = (run.claimed, run.process, run.at, run.journalSlot, run.held)
        var report = Report()
        let (file, pipeline, manifestFile) = (claimed.file, claimed.pipeline, claimed.manifestFile)
        let runID = claimed.request.runID
        var result = executor.finish(started, cancellation: cancellation)
        if let journalSlot { groups.release(journalSlot) }
        if let held { leases.release(held) }
        let duration = ContinuousClock.now - at
        if cancellation.reason == .leaseLost {
            // Another orchestrator holds the content now: its outcome is not ours to record.
            _ = try? store.finishRun(id: runID, outcome: .interrupted, endedAt: Date(), logTail: result.logTail)
            report.lostClaims += 1
            return report
        }
        do {
            let statusFile = executor.shim.map { _ in executor.statusFile(pipeline: pipeline.name, runID: runID) }
            let (outcome, entry) = try persistently(cancellation) { () -> (RunOutcome, LedgerEntry?) in
                let outcome =
                    Applier.changed(file, of: pipeline, manifestFile: manifestFile, since: claimed.observed)
                    ? .changedDuringRun : result.outcome
                let entry = try store.complete(
                    pipeline: pipeline.name,
                    sha256: file.sha256,
                    owner: owner.description,
                    run: (runID, result.logTail),
                    outcome: outcome,
                    policy: RetryPolicy(pipeline.spec.run),
                    fileActions: (pipeline.spec.onSuccess, pipeline.spec.onFailure),
                    jitter: Double.random(in: 0..<1),
                    at: Date()
                )
                // The shim's record is no longer needed once the ledger has the outcome.
                if let statusFile { try? FileManager.default.removeItem(atPath: statusFile) }
                return (outcome, entry)
            }
            result.outcome = outcome
            guard let entry else {
                // The claim was lost before the outcome was committed: another orchestrator holds
                // the content, and this run decided nothing (its run row says interrupted).
                report.lostClaims += 1
                return report
            }
            let finished = Finished(
                pipeline: pipeline.name,
                path: file.path,
                runID: runID,
                outcome: result.outcome,
                state: entry.state,
                logFile: result.logFile,
                nextAttemptAt: entry.nextAttemptAt,
                duration: duration
            )
            report.runs.append(finished)
            onFinished?(finished)
            // The ledger has committed the outcome and the action it owes: only now may the file move or go.
            if let action = PendingFileAction.owed(
                by: entry.state,
                onSuccess: pipeline.spec.onSuccess,
                onFailure: pipeline.spec.onFailure
            ) {
                let pending = PendingFileAction(
                    pipeline: pipeline.name,
                    path: file.path,
                    sha256: file.sha256,
                    action: action,
                    createdAt: Date()
                )
                if let problem = try FileActions.attempt(
                    pending,
                    of: pipeline,
                    manifestFile: manifestFile,
                    store: store,
                    now: Date()
                ) {
                    report.fileActionProblems.append(problem)
                }
            }
        } catch {
            report.fileActionProblems.append(Applier.storeProblem(pipeline: pipeline.name, path: file.path, error))
        }
        return report
    }

    /// Attempts the file actions owed to `pipeline`: every one (`reconcile`), or those due at
    /// `now` (the daemon). Returns the problems and when the earliest one left is due.
    public func settleFileActions(
        of pipeline: Pipeline,
        manifestFile: String,
        now: Date,
        dueOnly: Bool
    ) throws -> (problems: [String], nextDue: Date?) {
        let owed = try store.pendingFileActions(pipeline: pipeline.name)
        guard !owed.isEmpty else { return ([], nil) }
        var problems: [String] = []
        var attempted = false
        for pending in owed where !dueOnly || pending.isDue(at: now) {
            attempted = true
            if let problem = try FileActions.attempt(
                pending,
                of: pipeline,
                manifestFile: manifestFile,
                store: store,
                now: now
            ) {
                problems.append(problem)
            }
        }
        // Those not due yet, and those that failed again, set the next time to look.
        let left = attempted ? try store.pendingFileActions(pipeline: pipeline.name) : owed
        return (problems, left.map(\.nextAttemptAt).min())
    }

    /// Whether the file no longer holds the content the run was for: its stat differs from the
    /// observation the plan hashed, or the stat cache now gives the path another content. A file
    /// gone by now (the command moved or deleted it) cannot say, and is taken as processed.
    static func changed(
        _ file: FileChange,
        of pipeline: Pipeline,
        manifestFile: String,
        since observed: Observation?
    ) -> Bool {
        guard let observed,
            let now = FileStat.of(Observer.root(of: pipeline, manifestFile: manifestFile) + "/" + file.path)
        else { return false }
        return observed.sha256 != file.sha256 || !now.isUnchanged(since: observed)
    }

    /// A run id that sorts by time: `20261129T124452-1a2b3c4d`. Written digit by digit: it is
    /// made on the way from a file's close to its command's start, where `String(format:)` cost
    /// 50 µs of the path's 1 ms.
    static func newRunID() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func decimal(_ value: Int32, digits: Int) {
            var divisor: Int32 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        decimal(parts.tm_year + 1900, digits: 4)
        decimal(parts.tm_mon + 1, digits: 2)
        decimal(parts.tm_mday, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        decimal(parts.tm_hour, digits: 2)
        decimal(parts.tm_min, digits: 2)
        decimal(parts.tm_sec, digits: 2)
        bytes.append(UInt8(ascii: "-"))
        let random = UInt32.random(in: 0...UInt32.max)
        for shift in stride(from: 28, through: 0, by: -4) {
            bytes.append(hexDigits[Int((random >> UInt32(shift)) & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Why a plan was not applied.
public enum ApplyError: Error, CustomStringConvertible {
    case refused(String)

    public var description: String {
        switch self {
        case .refused(let reason): return reason
        }
    }
}
