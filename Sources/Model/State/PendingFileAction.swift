import Foundation

/// An `onSuccess`/`onFailure` move or delete that the ledger owes a file.
///
/// It is recorded in the same transaction as the outcome that calls for it, and removed only
/// once done, so that neither a failure (a read-only or full target, a file where the folder
/// should be) nor a crash between the commit and the action leaves a processed file in the
/// inbox for ever: it is retried, with backoff, by `reconcile` and by the daemon, and shown by
/// `plan` and `status` until then.
public struct PendingFileAction: Sendable, Hashable, Codable {
    public var pipeline: String
    /// The file, relative to `watch.path`.
    public var path: String
    /// The content the action is for: if the file holds another one by the time the action
    /// runs, the action is dropped and the file left for its new content.
    public var sha256: String
    /// `delete` or `move`; never `keep`, which owes nothing.
    public var action: FileAction
    /// Failed attempts so far.
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var nextAttemptAt: Date

    /// The first delay after a failure, doubled for each further one up to `maximumDelay`.
    public static let firstDelay = TimeSpan.seconds(10)
    public static let maximumDelay = TimeSpan.hours(1)

    public init(
        pipeline: String,
        path: String,
        sha256: String,
        action: FileAction,
        attempts: Int = 0,
        lastError: String? = nil,
        createdAt: Date,
        nextAttemptAt: Date? = nil
    ) {
        self.pipeline = pipeline
        self.path = path
        self.sha256 = sha256
        self.action = action
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt ?? createdAt
    }

    /// The action a ledger state calls for: `onSuccess` once succeeded, `onFailure` once
    /// quarantined; `nil` for every other state, or when the action is `keep`.
    public static func owed(by state: LedgerState, onSuccess: FileAction, onFailure: FileAction) -> FileAction? {
        let action: FileAction
        switch state {
        case .succeeded: action = onSuccess
        case .quarantined: action = onFailure
        case .pending, .running, .failed: return nil
        }
        return action == .keep ? nil : action
    }

    /// The action after a failed attempt at `now`: one more attempt, the error, and the next
    /// attempt 10 s later, doubling up to an hour. A failure is never final: a full disk or a
    /// read-only target is usually fixed by someone, and the file must follow then.
    public func failed(_ error: String, at now: Date) -> PendingFileAction {
        var next = self
        next.attempts += 1
        next.lastError = error
        let exponent = Double(min(attempts, 20))
        let delay = min(Double(Self.firstDelay.milliseconds) * pow(2, exponent), Double(Self.maximumDelay.milliseconds))
        next.nextAttemptAt = now.addingTimeInterval(delay / 1000)
        return next
    }

    /// Whether the action may be attempted at `now`.
    public func isDue(at now: Date) -> Bool { nextAttemptAt <= now }

    /// `move to /x/failed` or `delete`, for plans and logs.
    public var summary: String {
        switch action {
        case .keep: return "keep"
        case .delete: return "delete"
        case .move(let folder): return "move to \(folder)"
        }
    }
}
