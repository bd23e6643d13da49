/// What a plan was computed from, so that applying it later can tell whether it still holds: the
/// desired state (each manifest's content hash) and the applied state (each pipeline's generation).
///
/// As Terraform's saved plans, a plan is only applied against the exact inputs it was made from;
/// anything else is a stale plan, refused. Files are not part of the basis: they keep arriving,
/// and their processing follows the applied specs whatever plan is applied.
public struct PlanBasis: Sendable, Hashable, Codable {
    /// Where the state lives (a SQLite file's absolute path, or a PostgreSQL URL, which never
    /// holds a password): a plan made against one state is not applied to another.
    public var state: String
    /// SHA-256 of each manifest's text, by file name within the pipelines folder, or by
    /// `database:NAME` for a pipeline stored in the database.
    public var manifests: [String: String]
    /// The pipelines suspended from the console, which the plan counted as suspended.
    public var suspended: [String]
    /// The generation of each applied pipeline.
    public var applied: [String: Int]

    public init(state: String, manifests: [String: String], suspended: [String], applied: [String: Int]) {
        self.state = state
        self.manifests = manifests
        self.suspended = suspended.sorted()
        self.applied = applied
    }

    /// The basis of a plan computed from `manifests` and `applied`, on the state at `state`.
    public init(state: String, manifests: ManifestSet, applied: [AppliedSpec]) {
        self.init(
            state: state,
            manifests: manifests.sources,
            suspended: Array(manifests.suspended),
            applied: Dictionary(applied.map { ($0.name, $0.generation) }, uniquingKeysWith: max)
        )
    }

    /// Why a plan made from `self` does not hold against `current`, one reason per difference,
    /// empty when it holds.
    public func staleness(against current: PlanBasis) -> [String] {
        var reasons: [String] = []
        if state != current.state {
            reasons.append("it was made against the state \(state), not \(current.state)")
        }
        for name in Set(manifests.keys).union(current.manifests.keys).sorted() {
            switch (manifests[name], current.manifests[name]) {
            case (nil, _?): reasons.append("the manifest \(name) was added")
            case (_?, nil): reasons.append("the manifest \(name) was removed")
            case (let old?, let new?) where old != new: reasons.append("the manifest \(name) changed")
            default: break
            }
        }
        if suspended != current.suspended {
            reasons.append("the console's suspensions changed (\(list(suspended)) → \(list(current.suspended)))")
        }
        for name in Set(applied.keys).union(current.applied.keys).sorted() {
            switch (applied[name], current.applied[name]) {
            case (nil, let new?): reasons.append("pipeline \(name) was applied since (generation \(new))")
            case (_?, nil): reasons.append("pipeline \(name) was deleted from the applied state since")
            case (let old?, let new?) where old != new:
                reasons.append("pipeline \(name) was applied again since (generation \(old) → \(new))")
            default: break
            }
        }
        return reasons
    }

    private func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
