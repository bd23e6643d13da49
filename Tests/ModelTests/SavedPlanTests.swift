import Foundation
import Model
import Testing

/// Planfiles: what they keep, what they never hold, and when they are stale.
@Suite("Saved plans")
struct SavedPlanTests {
    static let basis = PlanBasis(
        state: "/srv/state.db",
        manifests: ["a.yaml": "11", "db:b": "22"],
        suspended: ["a"],
        applied: ["a": 3, "b": 1]
    )

    @Test func aPlanfileRoundTripsWithoutItsSecrets() throws {
        let plan = Planner.plan(try PlanGoldenTests.input())
        let saved = SavedPlan(plan: plan, basis: Self.basis, pipelines: "pipelines", allowEmpty: false, createdAt: .now)
        let data = try saved.encoded()
        #expect(!String(decoding: data, as: UTF8.self).contains("pa55word"))
        let read = try SavedPlan.decode(data, file: "plan.json")
        #expect(read.basis == Self.basis)
        #expect(PlanText.render(read.plan) == PlanText.render(plan), "show prints what plan printed")
        #expect(PlanMarkdown.render(read.plan) == PlanMarkdown.render(plan))
        #expect(read.differences(from: plan).isEmpty)
    }

    @Test func otherFilesAreRefusedClearly() {
        #expect(throws: SavedPlan.ReadError.notAPlanfile(file: "x.json", reason: "not a JSON object")) {
            try SavedPlan.decode(Data("nope".utf8), file: "x.json")
        }
        #expect(throws: SavedPlan.ReadError.notAPlanfile(file: "x.json", reason: "its kind is missing")) {
            try SavedPlan.decode(Data(#"{"changes": []}"#.utf8), file: "x.json")
        }
        #expect(throws: SavedPlan.ReadError.unsupportedVersion(file: "x.json", version: "9")) {
            try SavedPlan.decode(Data(#"{"kind": "orchestrator.plan", "format_version": "9"}"#.utf8), file: "x.json")
        }
    }

    @Test func aBasisHoldsOnlyAgainstItself() {
        #expect(Self.basis.staleness(against: Self.basis).isEmpty)
        var moved = Self.basis
        moved.manifests["a.yaml"] = "12"
        moved.manifests["c.yaml"] = "33"
        moved.manifests["db:b"] = nil
        moved.applied["a"] = 4
        moved.applied["c"] = 1
        moved.applied["b"] = nil
        moved.suspended = []
        moved.state = "/elsewhere/state.db"
        #expect(
            Self.basis.staleness(against: moved) == [
                "it was made against the state /srv/state.db, not /elsewhere/state.db",
                "the manifest a.yaml changed",
                "the manifest c.yaml was added",
                "the manifest db:b was removed",
                "the console's suspensions changed (a → none)",
                "pipeline a was applied again since (generation 3 → 4)",
                "pipeline b was deleted from the applied state since",
                "pipeline c was applied since (generation 1)",
            ]
        )
    }

    @Test func replannedChangesAreComparedByPipeline() throws {
        let plan = Planner.plan(try PlanGoldenTests.input())
        let saved = SavedPlan(plan: plan, basis: Self.basis, pipelines: "p", allowEmpty: false, createdAt: .now)
        var other = plan
        other.pipelines.removeAll { $0.name == "fresh" }
        let index = try #require(other.pipelines.firstIndex { $0.name == "changed" })
        other.pipelines[index].change = .update([FieldChange(path: "spec.x", old: "1", new: "2", sensitive: false)])
        #expect(
            saved.differences(from: other) == [
                "pipeline changed's field changes differ from the plan's",
                "pipeline fresh now plans no change, the plan said create",
            ]
        )
    }

    @Test func aDiffBetweenManifestSetsNeedsNoState() {
        func manifest(_ name: String, settle: String) -> [ManifestDocument] {
            ManifestDocument.parse(
                """
                apiVersion: orchestrator/v1
                kind: Pipeline
                metadata: {name: \(name)}
                spec:
                  watch: {path: ../in, settle: \(settle)}
                  run: {command: ["true"]}
                """,
                file: "pipelines/\(name).yaml"
            )
        }
        let old = ManifestSet(
            documents: manifest("kept", settle: "1s") + manifest("same", settle: "1s")
                + manifest("dropped", settle: "1s") + ManifestDocument.parse("kind: [", file: "pipelines/bad.yaml")
        )
        let new = ManifestSet(
            documents: manifest("kept", settle: "2s") + manifest("same", settle: "1s")
                + manifest("added", settle: "1s")
        )
        let plan = ManifestDiff.plan(from: old, to: new, oldLabel: { "main:pipelines/" + $0 })
        #expect(
            PlanText.render(plan) == """
                + pipeline added (pipelines/added.yaml) will be created

                - pipeline dropped (pipelines/dropped.yaml) will be deleted

                ~ pipeline kept (pipelines/kept.yaml) will be updated
                    ~ spec.watch.settle: "1s" → "2s"

                1 pipeline unchanged.

                Plan: 1 pipeline to create, 1 pipeline to update, 1 pipeline to delete.

                """
        )
        #expect(plan.diagnostics.map(\.severity) == [.warning])
        #expect(
            plan.diagnostics.first?.description.hasPrefix(
                "main:pipelines/bad.yaml:2:1: warning: in the old manifests: "
            ) == true
        )
    }
}
