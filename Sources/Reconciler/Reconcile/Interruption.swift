import Foundation
import UnixSignals

/// A one-shot command's work that SIGINT (Ctrl-C) or SIGTERM stops cleanly.
///
/// Why: runs start in sessions of their own, so a signal that simply killed the process would
/// leave them going, unsupervised, their outcomes lost until the next recovery kills and reruns
/// them. The first signal cancels the work instead: the runs going on get SIGTERM (SIGKILL after
/// the kill grace) and are recorded as interrupted, due again at once; no other run starts. A
/// second signal ends the process at once, as the default would have.
public enum Interruption {
    /// Runs `body`; `onInterrupt` is called at the first signal. Returns what `body` returned and
    /// whether it was interrupted.
    public static func run<T: Sendable>(
        onInterrupt: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> (value: T, interrupted: Bool) {
        let work = Task { try await body() }
        let interrupted = Flag()
        let watcher = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                if interrupted.isSet { exit(130) }
                interrupted.set()
                onInterrupt()
                work.cancel()
            }
        }
        defer { watcher.cancel() }
        let value = try await work.value
        return (value, interrupted.isSet)
    }
}
