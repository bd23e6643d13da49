import Foundation
import Model
import Testing

/// The planner keeps every pipeline last applied from a manifest file that exists but does not
/// read cleanly, and deletes a pipeline only when its file is gone or reads cleanly without it.
@Suite("Planner: unreadable manifests keep their pipelines")
struct BrokenManifestPlanTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func text(_ name: String, settle: String = "2s") -> String {
        manifest("  watch: {path: in, settle: \(settle)}\n  run: {command: [etl, \"${file}\"]}\n", name: name)
    }

    static func applied(_ name: String, from file: String) throws -> AppliedSpec {
        let pipeline = try #require(ManifestDocument.parse(text(name), file: file).first?.pipeline)
        return AppliedSpec(pipeline: pipeline, file: file, generation: 4, appliedAt: now)
    }

    static func plan(_ files: [String: String], unreadable: [String] = [], applied: [AppliedSpec]) -> Plan {
        let documents = files.keys.sorted().flatMap { ManifestDocument.parse(files[$0]!, file: $0) }
        let diagnostics = unreadable.map {
            Diagnostic(.error, file: $0, at: .start, "cannot read the file: Permission denied")
        }
        return Planner.plan(
            Planner.Input(
                manifests: ManifestSet(documents: documents, fileDiagnostics: diagnostics),
                applied: applied,
                observed: [:],
                ledgers: [:],
                now: now
            )
        )
    }

    /// Each way a file can stop reading cleanly, as the file's new text.
    static let breakages: [(String, String)] = [
        ("a YAML syntax error", text("keeper") + "  bogus: [unclosed\n"),
        ("a tab in the indentation", text("keeper").replacingOccurrences(of: "  watch", with: "\twatch")),
        ("a truncated file without metadata.name", "apiVersion: orchestrator/v1\nkind: Pipeline\nmeta"),
        (
            "a document of another kind and name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
        ),
        ("another apiVersion", text("keeper").replacingOccurrences(of: "orchestrator/v1", with: "orchestrator/v2")),
    ]

    @Test(arguments: breakages)
    func aBrokenFileKeepsItsPipeline(_ breakage: (String, String)) throws {
        let plan = Self.plan(
            ["pipelines/keeper.yaml": breakage.1],
            applied: [try Self.applied("keeper", from: "pipelines/keeper.yaml")]
        )
        let keeper = try #require(plan.pipelines.first { $0.name == "keeper" }, "\(breakage.0)")
        guard case .invalid(let diagnostics) = keeper.change else {
            Issue.record("\(breakage.0): keeper is \(keeper.change), not invalid")
            return
        }
        #expect(
            !diagnostics.isEmpty && diagnostics.allSatisfy { $0.file == "pipelines/keeper.yaml" && $0.line >= 1 },
            "\(breakage.0)"
        )
        #expect(keeper.effective?.name == "keeper", "\(breakage.0): the last applied spec stays in force")
        #expect(plan.summary.pipelinesToDelete == 0, "\(breakage.0)")
        #expect(plan.refusal == nil)
    }

    @Test func anUnreadableFileKeepsItsPipelineEvenWhenTheFolderIsSpelledAnotherWay() throws {
        let plan = Self.plan(
            [:],
            unreadable: ["/srv/pipelines/keeper.yaml"],
            applied: [try Self.applied("keeper", from: "pipelines/keeper.yaml")]
        )
        #expect(plan.pipelines.map(\.change.symbol) == ["!"])
        #expect(plan.pipelines.first?.effective != nil)
        #expect(plan.refusal == nil, "nothing is deleted, so nothing is refused")
    }

    @Test func aBrokenFileKeepsEveryPipelineAppliedFromIt() throws {
        let plan = Self.plan(
            ["p/two.yaml": Self.text("first") + "---\n" + Self.text("second") + "  bogus: [unclosed\n"],
            applied: [
                try Self.applied("first", from: "p/two.yaml"), try Self.applied("second", from: "p/two.yaml"),
                try Self.applied("elsewhere", from: "p/gone.yaml"),
            ]
        )
        #expect(plan.pipelines.map { "\($0.change.symbol) \($0.name)" } == ["- elsewhere", "! first", "! second"])
    }

    @Test func aRemovedFileDeletesItsPipeline() throws {
        let plan = Self.plan(
            ["p/other.yaml": Self.text("other")],
            applied: [
                try Self.applied("keeper", from: "p/keeper.yaml"), try Self.applied("other", from: "p/other.yaml"),
            ]
        )
        #expect(plan.pipelines.map { "\($0.change.symbol) \($0.name)" } == ["- keeper", "  other"])
    }

    @Test func aPipelineRenamedInAValidFileIsDeletedAndCreated() throws {
        let plan = Self.plan(
            ["p/keeper.yaml": Self.text("renamed")],
            applied: [try Self.applied("keeper", from: "p/keeper.yaml")]
        )
        #expect(plan.pipelines.map { "\($0.change.symbol) \($0.name)" } == ["- keeper", "+ renamed"])
    }

    @Test func aPipelineMovedToAnotherFileWhileTheFirstIsBrokenIsNeitherDuplicatedNorDeleted() throws {
        let plan = Self.plan(
            ["p/a.yaml": "spec: [unclosed\n", "p/b.yaml": Self.text("keeper")],
            applied: [try Self.applied("keeper", from: "p/a.yaml")]
        )
        #expect(plan.pipelines.count == 1)
        let keeper = try #require(plan.pipelines.first)
        #expect(
            keeper.change
                == .update([FieldChange(path: "manifest", old: "p/a.yaml", new: "p/b.yaml", sensitive: false)])
        )
        #expect(keeper.file == "p/b.yaml")
        #expect(
            plan.diagnostics.contains { $0.file == "p/a.yaml" && $0.severity == .error },
            "a.yaml's error is still reported"
        )
    }
}
