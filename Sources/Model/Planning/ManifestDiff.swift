import Foundation

/// Pipeline-level changes between two sets of manifests, without any state: the old set plays
/// the applied state, the new one the desired state, and the planner does the rest, so that
/// `diff` renders and exits exactly as `plan` does. No folder is observed: no file changes.
public enum ManifestDiff {
    /// The plan from `old` to `new`. `oldLabel` names a file of the old set (by its name within
    /// the folder) in diagnostics; the old set's errors become warnings, since a pipeline whose
    /// old manifest was invalid shows as created.
    public static func plan(
        from old: ManifestSet,
        to new: ManifestSet,
        oldLabel: (String) -> String,
        allowEmpty: Bool = false
    ) -> Plan {
        let applied = old.pipelines.map {
            AppliedSpec(pipeline: $0.pipeline, file: $0.file, generation: 0, appliedAt: .distantPast)
        }
        var plan = Planner.plan(
            Planner.Input(
                manifests: new,
                applied: applied,
                observed: [:],
                ledgers: [:],
                now: .distantPast,
                allowEmpty: allowEmpty
            )
        )
        // The planner's notes speak of applied generations and ledgers, which a diff has none of.
        for index in plan.pipelines.indices { plan.pipelines[index].notes = [] }
        let oldProblems = old.diagnostics.filter { $0.severity == .error }.map { diagnostic in
            var warning = diagnostic
            warning.severity = .warning
            warning.file = oldLabel(ManifestSet.fileName(diagnostic.file))
            warning.message = "in the old manifests: " + diagnostic.message
            return warning
        }
        plan.diagnostics = (plan.diagnostics + oldProblems).sortedForDisplay()
        return plan
    }
}
