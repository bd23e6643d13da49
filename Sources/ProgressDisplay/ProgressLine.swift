#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// One line of progress redrawn in place on a terminal, as `curl`, `rsync` or `pv` draw theirs:
/// long work says how far it got and when it will end. Nothing is drawn when the stream is not
/// a terminal (a log file, a pipe, the orchestrator's run logs), where plain summary lines are
/// what people and tools read.
public final class ProgressLine: @unchecked Sendable {
    private let descriptor: Int32
    private let interval: Duration
    private let clock = ContinuousClock()
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false
    private let lock = Mutex()

    /// A progress line on `descriptor` (standard error by default), or `nil` when it is not a
    /// terminal. Redrawn at most once per `interval`.
    public init?(descriptor: Int32 = 2, interval: Duration = .milliseconds(200)) {
        guard isatty(descriptor) == 1 else { return nil }
        self.descriptor = descriptor
        self.interval = interval
    }

    /// Redraws the line with `text`, unless it was drawn less than an interval ago.
    public func update(_ text: @autoclosure () -> String) {
        lock.locked {
            let now = clock.now
            if let lastDraw, now - lastDraw < interval { return }
            lastDraw = now
            emit("\r\u{1B}[K" + text())
            drawn = true
        }
    }

    /// Erases the line, so that what is printed next starts on a clean line.
    public func clear() {
        lock.locked {
            if drawn { emit("\r\u{1B}[K") }
            drawn = false
            lastDraw = nil
        }
    }

    private func emit(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
    }
}

/// A pthread mutex: this module depends on nothing, not even Foundation.
private final class Mutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// The parts of a progress line: rates, sizes and the time left, as people read them.
public enum ProgressText {
    /// `ETA 1m05s` from `done` of `total` in `elapsed`; `ETA --` before anything is done.
    public static func eta(done: Int, total: Int, elapsed: Duration) -> String {
        guard done > 0, total >= done else { return "ETA --" }
        let seconds = Self.seconds(elapsed) * Double(total - done) / Double(done)
        return "ETA " + duration(seconds)
    }

    /// `42s`, `3m07s`, `1h02m`.
    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + pad(whole % 60) + "s" }
        return "\(whole / 3600)h" + pad(whole / 60 % 60) + "m"
    }

    /// `12,345/s` per second of `elapsed`.
    public static func rate(_ count: Int, elapsed: Duration) -> String {
        let seconds = Self.seconds(elapsed)
        return grouped(seconds > 0 ? Int(Double(count) / seconds) : 0) + "/s"
    }

    /// `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// `512 KiB`, `3.4 MiB`, `1.2 GiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0
            ? "\(count) B"
            : (value < 10 ? "\((value * 10).rounded() / 10)" : "\(Int(value.rounded()))") + " " + units[unit]
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
