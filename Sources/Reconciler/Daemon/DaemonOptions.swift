import Foundation

/// How the daemon runs.
public struct DaemonOptions: Sendable {
    /// The folder of pipeline manifests, watched for changes.
    public var pipelines: String
    /// Jobs running at once, all pipelines together.
    public var maxJobs: Int
    /// How long running jobs may finish after SIGTERM/SIGINT before they are killed.
    public var drain: Duration
    /// The full rescan of every folder that runs whatever the events say.
    public var rescanInterval: Duration
    /// How long a file seen open for writing may stay unclosed before it is taken anyway.
    public var openWriterBound: Duration
    /// How often folders are polled when inotify cannot watch them (watch limit reached).
    public var fallbackPoll: Duration
    /// Lets an empty pipelines folder delete every applied pipeline.
    public var allowEmpty: Bool
    /// How long a claim holds without renewal (see `Applier.defaultLease`).
    public var lease: TimeInterval

    public init(
        pipelines: String,
        maxJobs: Int = 4,
        drain: Duration = .seconds(30),
        rescanInterval: Duration = .seconds(300),
        openWriterBound: Duration = .seconds(3600),
        fallbackPoll: Duration = .seconds(10),
        allowEmpty: Bool = false,
        lease: TimeInterval = Applier.defaultLease
    ) {
        self.lease = lease
        self.pipelines = pipelines
        self.maxJobs = maxJobs
        self.drain = drain
        self.rescanInterval = rescanInterval
        self.openWriterBound = openWriterBound
        self.fallbackPoll = fallbackPoll
        self.allowEmpty = allowEmpty
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
