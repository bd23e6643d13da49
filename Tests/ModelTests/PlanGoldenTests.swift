import Foundation
import Model
import Testing

/// Golden tests of the plan: one input with every kind of change, its text and its JSON.
@Suite("Plan rendering")
struct PlanGoldenTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func spec(
        _ name: String,
        settle: String = "2s",
        password: String = "old-pa55word",
        suspend: Bool = false
    ) -> String {
        """
        apiVersion: orchestrator/v1
        kind: Pipeline
        metadata: {name: \(name)}
        spec:
          suspend: \(suspend)
          watch: {path: in, settle: \(settle)}
          run:
            command: [etl, "${file}"]
            env: {db_password: \(password), host: localhost}

        """
    }

    static func input() throws -> Planner.Input {
        let documents =
            ManifestDocument.parse(spec("fresh"), file: "pipelines/fresh.yaml")
            + ManifestDocument.parse(
                spec("changed", settle: "5s", password: "new-pa55word"),
                file: "pipelines/changed.yaml"
            )
            + ManifestDocument.parse(
                spec("broken").replacingOccurrences(of: "settle: 2s", with: "settle: soon"),
                file: "pipelines/broken.yaml"
            )
            + ManifestDocument.parse(spec("calm"), file: "pipelines/calm.yaml")
        let manifests = ManifestSet(documents: documents)
        func applied(_ name: String) throws -> AppliedSpec {
            let pipeline = try #require(ManifestDocument.parse(spec(name), file: "x").first?.pipeline)
            return AppliedSpec(pipeline: pipeline, file: "pipelines/\(name).yaml", generation: 3, appliedAt: now)
        }
        let sha = { (character: Character) in String(repeating: character, count: 64) }
        func entry(
            _ name: String,
            _ hash: Character,
            _ state: LedgerState,
            path: String,
            attempts: Int = 0
        ) -> LedgerEntry {
            LedgerEntry(
                pipeline: name,
                sha256: sha(hash),
                state: state,
                attempts: attempts,
                firstSeen: now,
                lastSeen: now,
                path: path,
                nextAttemptAt: state == .failed ? now.addingTimeInterval(hash == "4" ? -1 : 600) : nil,
                lastExitCode: state == .failed || state == .quarantined ? 2 : nil,
                lastError: state == .succeeded ? nil : "exited with code 2",
                succeededAt: state == .succeeded ? now.addingTimeInterval(-86_400) : nil,
                succeededPath: state == .succeeded ? "first-name.csv" : nil
            )
        }
        return Planner.Input(
            manifests: manifests,
            applied: [try applied("changed"), try applied("broken"), try applied("gone"), try applied("calm")],
            observed: [
                "fresh": ObservedFolder(files: [
                    ObservedFile(path: "a.csv", status: .ready, size: 3, sha256: sha("a")),
                    ObservedFile(path: "copy of a.csv", status: .ready, size: 3, sha256: sha("a")),
                    ObservedFile(path: "writing.csv", status: .settling, size: 9),
                ]),
                "changed": ObservedFolder(files: [
                    ObservedFile(path: "q1.csv", status: .ready, size: 3, sha256: sha("2"), previousSHA256: sha("1")),
                    ObservedFile(path: "renamed.csv", status: .ready, size: 3, sha256: sha("3")),
                    ObservedFile(path: "due.csv", status: .ready, size: 3, sha256: sha("4")),
                    ObservedFile(path: "later.csv", status: .ready, size: 3, sha256: sha("5")),
                    ObservedFile(path: "poison.csv", status: .ready, size: 3, sha256: sha("6")),
                    ObservedFile(path: "empty.csv", status: .empty, size: 0),
                ]),
                "broken": ObservedFolder(files: [ObservedFile(path: "b.csv", status: .ready, size: 3, sha256: sha("b"))]
                ),
                "calm": ObservedFolder(files: [], problem: nil),
            ],
            ledgers: [
                "changed": [
                    sha("3"): entry("changed", "3", .succeeded, path: "renamed.csv"),
                    sha("4"): entry("changed", "4", .failed, path: "due.csv", attempts: 1),
                    sha("5"): entry("changed", "5", .failed, path: "later.csv", attempts: 2),
                    sha("6"): entry("changed", "6", .quarantined, path: "poison.csv", attempts: 4),
                ]
            ],
            now: now
        )
    }

    @Test func text() throws {
        let text = PlanText.render(Planner.plan(try Self.input()))
        #expect(
            text == """
                ! pipeline broken (pipelines/broken.yaml) has an invalid manifest
                    # the last applied spec (generation 3) stays in force
                    ! pipelines/broken.yaml:6:29: error: spec.watch.settle: bad duration "soon": expected a number at "soon"
                    + b.csv  sha256:bbbbbbbbbbbb new content

                ~ pipeline changed (pipelines/changed.yaml) will be updated
                    # 1 empty file skipped
                    ~ spec.run.env.db_password: (sensitive value changed)
                    ~ spec.watch.settle: "2s" → "5s"
                    ↻ due.csv  sha256:444444444444 retry due now, after 1 attempt: exited with code 2
                    ↻ later.csv  sha256:555555555555 retry at 2027-01-15T08:10:00Z, after 2 attempts: exited with code 2
                    ⊘ poison.csv  sha256:666666666666 quarantined after 4 attempts: exited with code 2 (orchestrator retry to run it again)
                    ~ q1.csv  sha256:222222222222 new content for a known path
                    = 1 file already processed (--show-skipped lists them)

                + pipeline fresh (pipelines/fresh.yaml) will be created
                    # 1 file is still being written (settle 2s)
                    + a.csv  sha256:aaaaaaaaaaaa new content
                    = copy of a.csv  sha256:aaaaaaaaaaaa same content as a.csv

                - pipeline gone (pipelines/gone.yaml) will be deleted
                    # its manifest is gone; its ledger is kept

                1 pipeline unchanged.

                Plan: 1 pipeline to create, 1 pipeline to update, 1 pipeline to delete, 2 files to process, 1 file to reprocess, 1 retry due, 1 retry scheduled, 1 file quarantined, 2 skipped, 1 invalid manifest.

                """
        )
        #expect(!text.contains("pa55word"))
    }

    @Test func json() throws {
        let json = try PlanJSON(Planner.plan(try Self.input())).encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["format_version"] as? String == "1")
        #expect(object["has_changes"] as? Bool == true)
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(
            changes.map { "\($0["symbol"]!) \($0["pipeline"]!) \($0["path"] ?? "-")" } == [
                "! broken -", "+ broken b.csv",
                "~ changed -", "↻ changed due.csv", "↻ changed later.csv", "⊘ changed poison.csv", "~ changed q1.csv",
                "= changed renamed.csv",
                "+ fresh -", "+ fresh a.csv", "= fresh copy of a.csv",
                "- gone -",
            ]
        )
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["file"] as? String == "pipelines/broken.yaml")
        #expect(diagnostic["line"] as? Int == 6)
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["files_to_process"] == 2)
        #expect(summary["invalid_manifests"] == 1)
        #expect(!json.contains("pa55word"))
    }

    @Test func pruneSafety() {
        var input = try! Self.input()
        input.manifests = ManifestSet(documents: [])
        #expect(Planner.plan(input).refusal != nil)
        input.allowEmpty = true
        #expect(Planner.plan(input).refusal == nil)
        #expect(Planner.plan(input).summary.pipelinesToDelete == 4)
    }

    @Test func suspendedPipelinesLeaveFilesWaiting() throws {
        let documents = ManifestDocument.parse(Self.spec("paused", suspend: true), file: "p.yaml")
        let input = Planner.Input(
            manifests: ManifestSet(documents: documents),
            applied: [],
            observed: [
                "paused": ObservedFolder(files: [ObservedFile(path: "a.csv", status: .ready, size: 1, sha256: "ab")])
            ],
            ledgers: [:],
            now: Self.now
        )
        let plan = Planner.plan(input)
        #expect(plan.pipelines.first?.runnable.isEmpty == true)
        #expect(plan.pipelines.first?.notes == ["suspended: 1 file waits"])
    }
}
