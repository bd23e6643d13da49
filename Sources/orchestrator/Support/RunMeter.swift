import ProgressDisplay
import Synchronization

/// The progress line of `reconcile` with a backlog, on a terminal: contents done of all,
/// failures, rate and the time left.
final class RunMeter: Sendable {
    private let line: ProgressLine
    private let total: Int
    private let start = ContinuousClock.now
    private let counts = Mutex((done: 0, failed: 0))

    /// A meter for `total` runs, or `nil` when there are too few to bother or standard error is
    /// not a terminal.
    init?(total: Int) {
        guard total > 1, let line = ProgressLine() else { return nil }
        self.line = line
        self.total = total
    }

    func finished(_ succeeded: Bool) {
        let (done, failed) = counts.withLock { counts in
            counts.done += 1
            if !succeeded { counts.failed += 1 }
            return counts
        }
        let elapsed = ContinuousClock.now - start
        line.update(
            "reconcile: \(ProgressText.grouped(done))/\(ProgressText.grouped(total)) contents, \(failed) failed, "
                + "\(ProgressText.rate(done, elapsed: elapsed)), \(ProgressText.eta(done: done, total: total, elapsed: elapsed))"
        )
    }

    /// Erases the line before the report is printed.
    func clear() { line.clear() }
}
