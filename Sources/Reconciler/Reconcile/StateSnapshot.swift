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
        for (pipeline, file) in Planner.effectivePipelines(manifests, applied: applied) {
            observed[pipeline.name] = try observer.observe(pipeline, manifestFile: file, now: now)
            ledgers[pipeline.name] = try store.ledger(pipeline: pipeline.name)
        }
        self.manifests = manifests
        input = Planner.Input(manifests: manifests, applied: applied, observed: observed, ledgers: ledgers, now: now, allowEmpty: allowEmpty)
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
