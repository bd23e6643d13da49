import Foundation

/// When a failed content runs again: exponential backoff with jitter, then quarantine.
public struct RetryPolicy: Sendable, Hashable {
    /// Further attempts allowed after the first failure.
    public var retries: Int
    /// The delay before the first retry; doubled for each further one, up to `maximumDelay`.
    public var backoff: TimeSpan
    public static let maximumDelay = TimeSpan.hours(6)

    public init(retries: Int, backoff: TimeSpan) {
        self.retries = retries
        self.backoff = backoff
    }

    public init(_ run: RunSpec) {
        self.init(retries: run.retries, backoff: run.backoff)
    }

    /// What follows a failure after `attempts` runs: the next attempt's time, or `nil` for quarantine.
    /// `jitter` in `0..<1` spreads retries of many files (up to +50% of the delay).
    public func nextAttempt(afterAttempts attempts: Int, now: Date, jitter: Double) -> Date? {
        guard attempts <= retries else { return nil }
        let exponent = min(max(attempts - 1, 0), 30)
        let base = min(
            Double(backoff.milliseconds) * pow(2, Double(exponent)),
            Double(RetryPolicy.maximumDelay.milliseconds)
        )
        return now.addingTimeInterval(base * (1 + 0.5 * jitter) / 1000)
    }
}
