/// News from another process sharing the state (another replica, the CLI, the console), for a
/// store that can tell (PostgreSQL's `NOTIFY`). Notices only make things happen sooner: every
/// decision is still taken against the state itself, and rescans remain the safety net.
public enum StateNotice: Sendable, Hashable, Codable {
    /// New contents were recorded under these paths of a pipeline's folder (none listed: look
    /// at the whole folder), so an idle replica picks them up at once.
    case seen(pipeline: String, paths: [String])
    /// A run of the pipeline ended: a slot another replica held is free.
    case finished(pipeline: String)
    /// The database pipelines or the console's suspensions changed.
    case pipelinesChanged
    /// The notices were interrupted (the connection was lost and is back): anything may have
    /// been missed meanwhile.
    case resumed
}

/// A state store whose changes made by other processes are announced.
public protocol StateNotifying: Sendable {
    /// The notices of other processes, from now until the consuming task is cancelled; the
    /// stream reconnects by itself (yielding `.resumed`) when the connection is lost.
    func notices() -> AsyncStream<StateNotice>
}
