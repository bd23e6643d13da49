import Foundation
import Model

/// Gathers what the planner needs, the imperative half of planning: the applied specs and
/// ledgers from the store, and fresh observations of each pipeline's folder.
public struct StateSnapshot: Sendable {
    public let manifests: ManifestSet
    public let input: Planner.Input

    /// Reads everything the plan depends on. Writes only the stat cache, never the ledger.
    public init(manifests: ManifestSet, store: any StateStore, now: Date, allowEmpty: Bool) throws {
        let applied = try store.appliedSpecs()
        let observer = Observer(store: store)
        var observed: [String: ObservedFolder] = [:]
        var ledgers: [String: [String: LedgerEntry]] = [:]
        let fileActions = Dictionary(grouping: try store.pendingFileActions(pipeline: nil), by: \.pipeline)
        for (pipeline, file) in Planner.effectivePipelines(manifests, applied: applied) {
            // The ledger loads on another thread while the folder is walked: one is mostly
            // system calls, the other decoding rows.
            let ledger = Background { try store.ledger(pipeline: pipeline.name) }
            observed[pipeline.name] = try observer.observe(pipeline, manifestFile: file, now: now)
            ledgers[pipeline.name] = try ledger.value()
        }
        self.manifests = manifests
        input = Planner.Input(
            manifests: manifests,
            applied: applied,
            observed: observed,
            ledgers: ledgers,
            fileActions: fileActions,
            now: now,
            allowEmpty: allowEmpty
        )
    }

    public var plan: Plan { Planner.plan(input) }
}

/// Where the state lives by default: `.orchestrator/state.db` beside the pipelines folder.
public enum StateLocation {
    public static func defaultPath(forPipelines pipelines: String) -> String {
        let absolute = Observer.absolute(pipelines)
        return PathResolution.directory(of: absolute) + "/.orchestrator/state.db"
    }
}

/// A synchronous computation run on a global queue, whose result is awaited by blocking: for
/// overlapping two pieces of synchronous work without making their callers async. Its wait
/// blocks the calling thread: call it from a thread of its own (`Blocking.run`, the daemon's
/// controller thread, a synchronous command), never from the cooperative pool.
final class Background<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    init(_ work: @escaping @Sendable () throws -> T) {
        DispatchQueue.global().async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    func value() throws -> T {
        done.wait()
        return try result!.get()
    }
}
