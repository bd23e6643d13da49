import Foundation
import Model
import Testing

/// The daemon's rules, driven event by event with an injected clock: no process, no sleep.
@Suite("Daemon scheduling")
struct SchedulerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    private func scheduler(
        maxJobs: Int = 4,
        writerBound: TimeInterval = 3600,
        _ slots: [String: Scheduler.Slot] = ["a": .init(concurrency: 1)]
    ) -> Scheduler {
        var scheduler = Scheduler(
            options: .init(maxJobs: maxJobs, rescanInterval: 300, openWriterBound: writerBound),
            now: t0
        )
        scheduler.pipelinesChanged(slots, replaced: Set(slots.keys))
        return scheduler
    }

    private func file(_ name: String) -> FileChange { FileChange(action: .process, path: name, sha256: "sha-" + name) }

    private func looks(_ effects: [Scheduler.Effect]) -> [String] {
        effects.compactMap { if case .look(let pipeline, _, _) = $0 { pipeline } else { nil } }
    }

    private func starts(_ effects: [Scheduler.Effect]) -> [String] {
        effects.compactMap { if case .start(let job) = $0 { "\(job.pipeline)/\(job.file.path)" } else { nil } }
    }

    @Test func startLooksAtEveryFolderThenSleepsUntilTheRescan() {
        var scheduler = scheduler(["a": .init(concurrency: 1), "b": .init(concurrency: 1)])
        #expect(scheduler.timeUntilDue(now: t0) == 0)
        #expect(looks(scheduler.tick(now: t0)) == ["a", "b"])
        #expect(scheduler.timeUntilDue(now: t0) == 300)
        #expect(scheduler.tick(now: t0.addingTimeInterval(299)).isEmpty)
        #expect(
            scheduler.tick(now: t0.addingTimeInterval(300)) == [
                .reloadManifests, .look(pipeline: "a", busy: [], paths: nil),
                .look(pipeline: "b", busy: [], paths: nil),
            ]
        )
    }

    @Test func aSettlingFileIsLookedAtAgainWhenItIsReady() {
        var scheduler = scheduler()
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [], settling: ["new.csv"], nextDue: t0.addingTimeInterval(2), now: t0)
        #expect(scheduler.timeUntilDue(now: t0) == 2)
        #expect(scheduler.tick(now: t0.addingTimeInterval(1)).isEmpty)
        #expect(scheduler.tick(now: t0.addingTimeInterval(2)) == [.look(pipeline: "a", busy: [], paths: ["new.csv"])])
    }

    /// An event costs a look at what it names, not at the whole folder; what the kernel cannot
    /// vouch for (start, overflow, a new folder, a rescan) gets a whole look.
    @Test func eventsAreLookedAtIncrementally() {
        var scheduler = scheduler()
        #expect(scheduler.tick(now: t0) == [.look(pipeline: "a", busy: [], paths: nil)])
        scheduler.looked("a", runnable: [], nextDue: nil, now: t0)
        scheduler.fileEvent(.closed, pipeline: "a", path: "x.csv", now: t0)
        scheduler.fileEvent(.movedIn, pipeline: "a", path: "sub/y.csv", now: t0)
        #expect(scheduler.timeUntilDue(now: t0) == 0)
        #expect(scheduler.tick(now: t0) == [.look(pipeline: "a", busy: [], paths: ["x.csv", "sub/y.csv"])])
        scheduler.looked("a", paths: ["x.csv", "sub/y.csv"], runnable: [], nextDue: nil, now: t0)
        #expect(scheduler.tick(now: t0).isEmpty)
        scheduler.fileEvent(.folderAppeared, pipeline: "a", path: "new", now: t0)
        scheduler.fileEvent(.closed, pipeline: "a", path: "z.csv", now: t0)
        #expect(scheduler.tick(now: t0) == [.look(pipeline: "a", busy: [], paths: nil)])
        scheduler.retryLook("a", at: t0.addingTimeInterval(5))
        #expect(scheduler.tick(now: t0.addingTimeInterval(5)) == [.look(pipeline: "a", busy: [], paths: nil)])
    }

    @Test func aPausingWriterIsBusyUntilItClosesOrTheBoundPasses() {
        var scheduler = scheduler(writerBound: 60)
        _ = scheduler.tick(now: t0)
        scheduler.fileEvent(.writing, pipeline: "a", path: "big.csv", now: t0)
        scheduler.fileEvent(.closed, pipeline: "a", path: "other.csv", now: t0.addingTimeInterval(1))
        #expect(
            scheduler.tick(now: t0.addingTimeInterval(1)) == [
                .look(pipeline: "a", busy: ["big.csv"], paths: ["other.csv"])
            ]
        )
        scheduler.looked("a", paths: ["other.csv"], runnable: [], nextDue: nil, now: t0.addingTimeInterval(1))
        #expect(scheduler.timeUntilDue(now: t0.addingTimeInterval(1)) == 59, "the bound is a timer")
        scheduler.fileEvent(.writing, pipeline: "a", path: "big.csv", now: t0.addingTimeInterval(50))
        #expect(
            scheduler.tick(now: t0.addingTimeInterval(60)) == [
                .writerTimedOut(pipeline: "a", path: "big.csv"), .look(pipeline: "a", busy: [], paths: ["big.csv"]),
            ],
            "a write does not restart the bound; past it the file is taken, with a warning"
        )

        var closing = self.scheduler()
        closing.fileEvent(.writing, pipeline: "a", path: "big.csv", now: t0)
        closing.fileEvent(.closed, pipeline: "a", path: "big.csv", now: t0.addingTimeInterval(5))
        #expect(
            closing.tick(now: t0.addingTimeInterval(5)) == [.look(pipeline: "a", busy: [], paths: nil)],
            "the first look is whole"
        )
        closing.looked("a", runnable: [], nextDue: nil, now: t0.addingTimeInterval(5))
        closing.fileEvent(.writing, pipeline: "a", path: "c.csv", now: t0.addingTimeInterval(6))
        closing.fileEvent(.closed, pipeline: "a", path: "c.csv", now: t0.addingTimeInterval(7))
        #expect(closing.tick(now: t0.addingTimeInterval(7)) == [.look(pipeline: "a", busy: [], paths: ["c.csv"])])
    }

    @Test func runnableContentsRunOnceWithinTheSlots() {
        var scheduler = scheduler(maxJobs: 4, ["a": .init(concurrency: 2)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("1"), file("2"), file("3")], nextDue: nil, now: t0)
        scheduler.looked("a", runnable: [file("1"), file("3")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/1", "a/2"], "run.concurrency 2")
        #expect(scheduler.queued == 1, "a content queued or running is not queued twice")
        #expect(starts(scheduler.finished(.init(pipeline: "a", file: file("1")), nextAttemptAt: nil)) == ["a/3"])
        scheduler.looked("a", runnable: [file("2")], nextDue: nil, now: t0)
        #expect(scheduler.queued == 0, "still running")
    }

    /// Other replicas run the pipeline's `concurrency` already: the refused job waits at the head
    /// of its queue, and the pipeline tries again after the hold, not through its whole queue now.
    @Test func slotsTakenByOtherReplicasHoldThePipeline() {
        var scheduler = scheduler(maxJobs: 4, ["a": .init(concurrency: 2), "b": .init(concurrency: 1)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("1"), file("2"), file("3")], nextDue: nil, now: t0)
        scheduler.looked("b", runnable: [file("4")], nextDue: nil, now: t0)
        #expect(Set(starts(scheduler.tick(now: t0))) == ["a/1", "a/2", "b/4"])
        let held = t0.addingTimeInterval(0.5)
        #expect(starts(scheduler.slotsTakenElsewhere(.init(pipeline: "a", file: file("1")), until: held)).isEmpty)
        #expect(starts(scheduler.finished(.init(pipeline: "a", file: file("2")), nextAttemptAt: nil)).isEmpty, "held")
        #expect(scheduler.queued == 2 && scheduler.timeUntilDue(now: t0) == 0.5)
        #expect(starts(scheduler.finished(.init(pipeline: "b", file: file("4")), nextAttemptAt: nil)).isEmpty)
        #expect(starts(scheduler.tick(now: held)) == ["a/1", "a/3"], "the refused job first, once the hold ends")
        #expect(starts(scheduler.slotsTakenElsewhere(.init(pipeline: "a", file: file("3")), until: held + 9)).isEmpty)
        #expect(starts(scheduler.slotFreedElsewhere("a")) == ["a/3"], "a run ended elsewhere ends the hold")
        #expect(scheduler.slotFreedElsewhere("a").isEmpty)
    }

    /// A claim lost to another replica: what the ledger says runs elsewhere leaves the queue and
    /// is looked at again when the leases could expire; the rest starts as before.
    @Test func contentsRunningElsewhereAreWithdrawnUntilTheirLeasesCouldExpire() {
        var scheduler = scheduler(maxJobs: 1, ["a": .init(concurrency: 1)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("1"), file("2"), file("3"), file("4")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/1"])
        let expiry = t0.addingTimeInterval(60)
        scheduler.withdraw("a", sha256s: ["sha-2", "sha-4", "sha-9"], lookAgainAt: expiry)
        #expect(scheduler.queue(of: "a").map(\.path) == ["3"])
        #expect(starts(scheduler.finished(.init(pipeline: "a", file: file("1")), nextAttemptAt: nil)) == ["a/3"])
        #expect(scheduler.timeUntilDue(now: t0) == 60)
        let effects = scheduler.tick(now: expiry)
        #expect(effects.contains(.look(pipeline: "a", busy: [], paths: ["2", "4"])), "\(effects)")
        scheduler.looked("a", paths: ["2", "4"], runnable: [file("2")], nextDue: nil, now: expiry)
        #expect(scheduler.queue(of: "a").map(\.path) == ["2"], "withdrawn contents may be queued again")
    }

    @Test func aFailureIsLookedAtAgainWhenItsRetryIsDue() {
        var scheduler = scheduler()
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("x")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/x"])
        #expect(
            scheduler.finished(.init(pipeline: "a", file: file("x")), nextAttemptAt: t0.addingTimeInterval(30)).isEmpty
        )
        #expect(scheduler.timeUntilDue(now: t0) == 30)
        #expect(
            scheduler.tick(now: t0.addingTimeInterval(30)) == [.look(pipeline: "a", busy: [], paths: ["x"])],
            "the retry's file is looked at"
        )
        scheduler.looked("a", paths: ["x"], runnable: [file("x")], nextDue: nil, now: t0.addingTimeInterval(30))
        #expect(
            starts(scheduler.tick(now: t0.addingTimeInterval(30))) == ["a/x"],
            "the same content runs again once its run ended"
        )
    }

    @Test func overflowLooksAtEverythingAndForgetsOpenWriters() {
        var scheduler = scheduler(["a": .init(concurrency: 1), "b": .init(concurrency: 1)])
        _ = scheduler.tick(now: t0)
        scheduler.fileEvent(.writing, pipeline: "a", path: "w.csv", now: t0)
        scheduler.overflow()
        #expect(
            scheduler.tick(now: t0) == [
                .look(pipeline: "a", busy: [], paths: nil), .look(pipeline: "b", busy: [], paths: nil),
            ]
        )
    }

    @Test func aPipelineChangedWhileRunningKeepsItsRunAndLosesItsQueue() {
        var scheduler = scheduler(["a": .init(concurrency: 1)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("1"), file("2")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/1"])
        scheduler.pipelinesChanged(["a": .init(concurrency: 3)], replaced: ["a"])
        #expect(scheduler.queued == 0 && scheduler.runningCount == 1)
        let effects = scheduler.tick(now: t0)
        #expect(looks(effects) == ["a"] && starts(effects).isEmpty)
        scheduler.looked("a", runnable: [file("1"), file("2")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/2"], "content 1 is still running under the old spec")
        scheduler.pipelinesChanged([:], replaced: [])
        #expect(scheduler.queued == 0)
        #expect(
            scheduler.finished(.init(pipeline: "a", file: file("1")), nextAttemptAt: t0.addingTimeInterval(5)).isEmpty
        )
        #expect(scheduler.timeUntilDue(now: t0) == 300, "no timer for a deleted pipeline")
    }

    @Test func pipelinesTakeTurnsForTheSlots() {
        var scheduler = scheduler(maxJobs: 2, ["big": .init(concurrency: 2), "small": .init(concurrency: 2)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("big", runnable: (1...100).map { file("\($0)") }, nextDue: nil, now: t0)
        scheduler.looked("small", runnable: [file("s")], nextDue: nil, now: t0)
        let first = starts(scheduler.tick(now: t0))
        #expect(
            first.count == 2 && first.contains("small/s"),
            "a large backlog does not starve a small pipeline: \(first)"
        )
    }

    @Test func aSuspendedPipelineIsLookedAtButDoesNotRun() {
        var scheduler = scheduler(["a": .init(concurrency: 1, suspended: true)])
        #expect(looks(scheduler.tick(now: t0)) == ["a"])
        scheduler.looked("a", runnable: [file("x")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)).isEmpty)
        scheduler.pipelinesChanged(["a": .init(concurrency: 1)], replaced: ["a"])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("x")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/x"], "resumed")
    }

    @Test func aPolledPipelineIsLookedAtEveryPeriod() {
        var scheduler = scheduler(["p": .init(concurrency: 1, poll: 10)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("p", runnable: [], nextDue: nil, now: t0)
        #expect(scheduler.timeUntilDue(now: t0) == 10)
        #expect(looks(scheduler.tick(now: t0.addingTimeInterval(10))) == ["p"])
    }

    @Test func drainingStartsNothingAndDropsTheQueue() {
        var scheduler = scheduler(["a": .init(concurrency: 1)])
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [file("1"), file("2")], nextDue: nil, now: t0)
        #expect(starts(scheduler.tick(now: t0)) == ["a/1"])
        scheduler.stopIntake()
        #expect(scheduler.queued == 0)
        #expect(scheduler.finished(.init(pipeline: "a", file: file("1")), nextAttemptAt: nil).isEmpty)
        scheduler.fileEvent(.closed, pipeline: "a", path: "3", now: t0)
        #expect(scheduler.tick(now: t0.addingTimeInterval(1000)).isEmpty)
    }
}

extension SchedulerTests {
    /// A removed folder: a whole look now, and, while it is missing, another every 2 s that the
    /// look now must not swallow.
    @Test func aDroppedWatchLooksNowAndRetriesLater() {
        var scheduler = scheduler()
        _ = scheduler.tick(now: t0)
        scheduler.looked("a", runnable: [], nextDue: nil, now: t0)
        scheduler.lookAtAll("a")
        scheduler.retryLook("a", at: t0.addingTimeInterval(2))
        #expect(scheduler.tick(now: t0) == [.look(pipeline: "a", busy: [], paths: nil)])
        scheduler.looked("a", runnable: [], nextDue: nil, now: t0)
        #expect(scheduler.timeUntilDue(now: t0) == 2)
        #expect(scheduler.tick(now: t0.addingTimeInterval(2)) == [.look(pipeline: "a", busy: [], paths: nil)])
    }
}
