import Foundation
import Testing

/// The GitOps loop end to end with the real executable: a plan saved, shown for review and
/// applied; stale plans refused; plans without state between folders and git revisions.
@Suite("Saved plans and diffs")
struct SavedPlanCommandTests {
    private func pipeline(_ workspace: Workspace, _ name: String = "rec", settle: String = "0s") throws {
        try workspace.manifest(
            name,
            """
              watch: {path: ../data/in, settle: \(settle)}
              run:
                command: [sh, -c, 'printf "%s\\n" "$1" >> "$0"', ../out/seen.log, "${file.name}"]
                workingDir: ../pipelines
                env: {ES_PASSWORD: s3cr3t-pa55}
            """
        )
    }

    @Test func aSavedPlanIsShownAppliedAndRefusedOnceStale() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try pipeline(workspace)
        try workspace.write("data/in/a.csv", "a\n")

        let plan = try await workspace.run(["plan", "-o", "plan.json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains("orchestrator reconcile plan.json"))
        let planfile = workspace.read("plan.json")
        #expect(!planfile.contains("s3cr3t"), "a planfile holds no secret value")
        try await JSONSchemaCheck.expectValid(planfile, schema: "planfile")

        let shown = try await workspace.run(["show", "plan.json"])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("# Saved plan, made "))
        #expect(shown.stdout.hasSuffix(plan.stdout), "show prints what plan printed")
        let json = try await workspace.run(["show", "plan.json", "--output", "json"])
        try await JSONSchemaCheck.expectValid(json.stdout)
        #expect(json.stdout.contains("\"saved_plan\""))
        let markdown = try await workspace.run(["show", "plan.json", "--output", "markdown"])
        #expect(markdown.stdout.hasPrefix("<!-- orchestrator plan -->\n### Saved plan: 1 pipeline to create"))
        for output in [shown, json, markdown] { #expect(!output.stdout.contains("s3cr3t")) }

        // Files keep arriving between plan and apply: they follow the applied specs.
        try workspace.write("data/in/late.csv", "late\n")
        let applied = try await workspace.run(["reconcile", "plan.json"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(workspace.lines("out/seen.log").sorted() == ["a.csv", "late.csv"])

        // Stale: a manifest edited after the plan.
        #expect(try await workspace.run(["plan", "-o", "edited.json"]).status == 0)
        try pipeline(workspace, settle: "1s")
        try workspace.write("data/in/b.csv", "b\n")
        let edited = try await workspace.run(["reconcile", "edited.json"])
        #expect(edited.status == 1)
        #expect(
            edited.stderr.contains("error: stale plan: the manifest rec.yaml changed; plan again"),
            "\(edited.stderr)"
        )
        #expect(workspace.lines("out/seen.log").count == 2, "a refused plan runs nothing")

        // Stale: the applied state moved on (another reconcile applied the edit).
        #expect(try await workspace.run(["plan", "-o", "update.json"]).status == 0)
        #expect(try await workspace.run(["reconcile"]).status == 0)
        let raced = try await workspace.run(["reconcile", "update.json"])
        #expect(raced.status == 1)
        #expect(raced.stderr.contains("pipeline rec was applied again since (generation 1 → 2)"), "\(raced.stderr)")

        let unreadable = try await workspace.run(["reconcile", "pipelines/rec.yaml"])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr.contains("not a planfile written by orchestrator plan -o"))
        #expect(try await workspace.run(["plan", "-o", "json"]).status == 64, "-o is the planfile, not a format")
    }

    @Test func aPlanOfManyFilesListsTheFirstAndCountsTheRest() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try pipeline(workspace)
        for index in 0..<50 { try workspace.write(String(format: "data/in/f%02d.csv", index), "\(index)\n") }
        let text = try await workspace.run(["plan"])
        #expect(text.stdout.contains("    + f19.csv "))
        #expect(!text.stdout.contains("    + f20.csv "))
        #expect(text.stdout.contains("    + … and 30 more; --show-all lists them\n"))
        let all = try await workspace.run(["plan", "--show-all"])
        #expect(all.stdout.contains("    + f49.csv "))
        let json = try await workspace.run(["plan", "--output", "json"])
        #expect(json.stdout.components(separatedBy: "\"kind\" : \"file\"").count == 51, "JSON keeps every file")
    }

    /// Two commits of a real git repository: one pipeline changed, one removed, one added.
    @Test func diffBetweenFoldersAndGitRevisions() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        func git(_ arguments: String...) async throws {
            let result = try await CLI.runProgram(
                "/usr/bin/env",
                ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid"] + arguments,
                in: workspace.root
            )
            #expect(result.status == 0, "git \(arguments): \(result.stderr)")
        }
        try await git("init", "-q", "-b", "main")
        try pipeline(workspace, "kept")
        try pipeline(workspace, "dropped")
        try await git("add", "pipelines")
        try await git("commit", "-q", "-m", "first")
        try pipeline(workspace, "kept", settle: "5s")
        try FileManager.default.removeItem(atPath: workspace.path("pipelines/dropped.yaml"))
        try pipeline(workspace, "added")
        try await git("add", "-A", "pipelines")
        try await git("commit", "-q", "-m", "second")

        let diff = try await workspace.run(["diff", "--git", "HEAD~1"])
        #expect(diff.status == 2, "changes: exit 2, as plan --detailed-exitcode; \(diff.stderr)")
        #expect(
            diff.stdout == """
                + pipeline added (pipelines/added.yaml) will be created

                - pipeline dropped (pipelines/dropped.yaml) will be deleted

                ~ pipeline kept (pipelines/kept.yaml) will be updated
                    ~ spec.watch.settle: "0s" → "5s"

                Plan: 1 pipeline to create, 1 pipeline to update, 1 pipeline to delete.

                """
        )
        #expect(try await workspace.run(["diff", "--git", "HEAD~1", "pipelines"]).stdout == diff.stdout)
        let markdown = try await workspace.run(["diff", "--git", "HEAD~1", "--output", "markdown"])
        #expect(markdown.stdout.contains("```diff\n- spec.watch.settle: \"0s\"\n+ spec.watch.settle: \"5s\"\n```"))
        #expect(!markdown.stdout.contains("s3cr3t"))
        let json = try await workspace.run(["diff", "--git", "HEAD~1", "--output", "json"])
        try await JSONSchemaCheck.expectValid(json.stdout)

        #expect(try await workspace.run(["diff", "--git", "main"]).stdout.contains("No changes."))
        #expect(try await workspace.run(["diff", "--git", "main"]).status == 0)
        let missing = try await workspace.run(["diff", "--git", "no-such-branch"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no-such-branch: not a commit"))
        #expect(try await workspace.run(["diff", "--git", "--upload-pack=x"]).status != 0)

        // The same between two folders, the old one elsewhere: relative paths compare as written.
        try FileManager.default.createDirectory(atPath: workspace.path("old"), withIntermediateDirectories: true)
        try await git("--work-tree=old", "checkout", "HEAD~1", "--", "pipelines")
        let folders = try await workspace.run(["diff", "old/pipelines", "pipelines"])
        #expect(folders.status == 2)
        #expect(folders.stdout == diff.stdout)
        #expect(try await workspace.run(["diff", "pipelines", "pipelines"]).status == 0)
    }
}
