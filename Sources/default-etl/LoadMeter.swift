import ETL
import ProgressDisplay

/// The progress line of `default-etl` on a terminal: rows, the file's size, rows per second and,
/// once the first pass has counted the rows, the time left.
final class LoadMeter: @unchecked Sendable {
    private let line: ProgressLine
    private let clock = ContinuousClock()
    private var phaseStart: ContinuousClock.Instant
    private var current: (file: String, phase: LoadProgress.Phase)?

    /// A meter, or `nil` when standard error is not a terminal.
    init?() {
        guard let line = ProgressLine() else { return nil }
        self.line = line
        phaseStart = clock.now
    }

    func report(_ progress: LoadProgress) {
        if current?.file != progress.file || current?.phase != progress.phase {
            current = (progress.file, progress.phase)
            phaseStart = clock.now
        }
        let elapsed = clock.now - phaseStart
        let size = progress.fileBytes.map { " of a " + ProgressText.bytes($0) + " file" } ?? ""
        let rate = ProgressText.rate(progress.rows, elapsed: elapsed)
        switch progress.phase {
        case .reading:
            line.update("\(progress.file): reading, \(ProgressText.grouped(progress.rows)) rows\(size), \(rate)")
        case .loading:
            if let total = progress.totalRows {
                line.update(
                    "\(progress.file): loading \(ProgressText.grouped(progress.rows))/\(ProgressText.grouped(total)) rows\(size), \(rate), "
                        + ProgressText.eta(done: progress.rows, total: total, elapsed: elapsed)
                )
            } else if let read = progress.bytesRead, let bytes = progress.fileBytes, bytes > 0 {
                // Rows not counted beforehand: how far, by the bytes read.
                line.update(
                    "\(progress.file): loading \(ProgressText.grouped(progress.rows)) rows, \(ProgressText.bytes(read))/\(ProgressText.bytes(bytes)), "
                        + "\(rate), "
                        + ProgressText.eta(done: Int(read >> 10), total: Int(bytes >> 10), elapsed: elapsed)
                )
            } else {
                line.update("\(progress.file): loading \(ProgressText.grouped(progress.rows)) rows\(size), \(rate)")
            }
        }
    }

    /// Erases the line before a summary line is printed.
    func clear() { line.clear() }
}
