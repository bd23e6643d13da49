import Foundation
import Model
import Testing

/// The plan as a pull-request comment: golden output of the plan with every kind of change.
@Suite("Plan as markdown")
struct PlanMarkdownTests {
    @Test func golden() throws {
        let markdown = PlanMarkdown.render(Planner.plan(try PlanGoldenTests.input()))
        #expect(
            markdown == """
                <!-- orchestrator plan -->
                ### Plan: 1 pipeline to create, 1 pipeline to update, 1 pipeline to delete, 2 files to process, 1 file to reprocess, 1 retry due, 1 retry scheduled, 1 file quarantined, 2 skipped, 1 invalid manifest.

                #### ! `broken` has an invalid manifest (`pipelines/broken.yaml`)

                - `the last applied spec (generation 3) stays in force`

                ```text
                pipelines/broken.yaml:6:29: error: spec.watch.settle: bad duration "soon": expected a number at "soon"
                ```

                <details><summary>Files: + 1 to process</summary>

                ```text
                + b.csv  sha256:bbbbbbbbbbbb new content
                ```

                </details>

                #### ~ `changed` will be updated (`pipelines/changed.yaml`)

                - `1 empty file skipped`

                ```diff
                ! spec.run.env.db_password: (sensitive value changed)
                - spec.watch.settle: "2s"
                + spec.watch.settle: "5s"
                ```

                <details><summary>Files: ~ 1 to reprocess, = 1 skipped, ↻ 2 to retry, ⊘ 1 quarantined</summary>

                ```text
                ↻ due.csv  sha256:444444444444 retry due now, after 1 attempt: exited with code 2
                ↻ later.csv  sha256:555555555555 retry at 2027-01-15T08:10:00Z, after 2 attempts: exited with code 2
                ⊘ poison.csv  sha256:666666666666 quarantined after 4 attempts: exited with code 2 (orchestrator retry to run it again)
                ~ q1.csv  sha256:222222222222 new content for a known path
                = 1 already processed
                ```

                </details>

                #### + `fresh` will be created (`pipelines/fresh.yaml`)

                - `1 file is still being written (settle 2s)`

                <details><summary>Files: + 1 to process, = 1 skipped</summary>

                ```text
                + a.csv  sha256:aaaaaaaaaaaa new content
                = copy of a.csv  sha256:aaaaaaaaaaaa same content as a.csv
                ```

                </details>

                #### - `gone` will be deleted (`pipelines/gone.yaml`)

                - `its manifest is gone; its ledger is kept`

                1 pipeline unchanged: `calm`.

                """
        )
        #expect(!markdown.contains("pa55word"))
    }

    /// A file name is data: whatever it holds, it stays inside its code block.
    @Test func fileNamesCannotBreakOutOfTheirBlock() {
        let name = "x```\n</details><img src=x>.csv"
        let plan = Plan(
            pipelines: [
                PipelinePlan(
                    name: "p",
                    file: "p.yaml",
                    change: .unchanged,
                    effective: nil,
                    files: [FileChange(action: .process, path: name, sha256: String(repeating: "a", count: 64))]
                )
            ],
            diagnostics: []
        )
        let markdown = PlanMarkdown.render(plan)
        #expect(
            markdown.contains("````text\n+ x```\\n</details><img src=x>.csv  sha256:aaaaaaaaaaaa new content\n````")
        )
    }

    @Test func manyFilesAreListedFirstThenCounted() {
        let files = (0..<100_000).map { index in
            FileChange(action: .process, path: String(format: "f%06d.csv", index), sha256: String(index))
        }
        let plan = Plan(
            pipelines: [PipelinePlan(name: "big", file: "big.yaml", change: .create, effective: nil, files: files)],
            diagnostics: []
        )
        let text = PlanText.render(plan)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1 + 20 + 1 + 1)
        #expect(lines[20] == "    + f000019.csv  sha256:19 new content")
        #expect(lines[21] == "    + … and 99,980 more; --show-all lists them")
        #expect(PlanText.render(plan, listing: .all).split(separator: "\n").count == 1 + 100_000 + 1)
        #expect(PlanMarkdown.render(plan).contains("+ … and 99,980 more; --show-all lists them\n```"))
    }
}
