import Foundation
import Testing

/// A move that fails is owed, not forgotten: reconcile says why in words and exits 1, plan and
/// status show it, and the next reconcile after the fix does it.
@Suite("Owed file actions, end to end")
struct OwedFileActionTests {
    @Test func aBlockedMoveIsShownRetriedAndDoneOnceFixed() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "bad",
            """
              watch: {path: ../data/in, settle: 0s}
              run: {command: ["false"], retries: 0}
              onFailure: {action: move, to: ../data/failed}
            """
        )
        try workspace.write("data/in/a.csv", "a\n")
        try workspace.write("data/failed", "a file where the folder should be\n")

        let first = try await workspace.run(["reconcile"])
        #expect(first.status == 1)
        let failed = workspace.path("data/failed")
        #expect(
            first.stderr.contains(
                "warning: bad/a.csv: cannot move a.csv to \(failed): \(failed) is a file (attempt 1, tried again from "
            ),
            "\(first.stderr)"
        )
        #expect(workspace.exists("data/in/a.csv"))

        let plan = try await workspace.run(["plan", "--detailed-exitcode"])
        #expect(plan.status == 2, "an owed action is a change: \(plan.stdout)")
        #expect(plan.stdout.contains("    → a.csv  sha256:"), "\(plan.stdout)")
        #expect(plan.stdout.contains("move to ../data/failed owed since "))
        #expect(plan.stdout.contains("1 failed attempt, next at "))
        #expect(plan.stdout.contains("1 file action to retry"))
        let json = try await workspace.run(["plan", "--output", "json"])
        try await JSONSchemaCheck.expectValid(json.stdout)
        #expect(json.stdout.contains("\"kind\" : \"file_action\""))
        let status = try await workspace.run(["status"])
        #expect(status.stdout.contains("file actions owed: 1"), "\(status.stdout)")

        try FileManager.default.removeItem(atPath: failed)
        let second = try await workspace.run(["reconcile"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(workspace.exists("data/failed/a.csv") && !workspace.exists("data/in/a.csv"))
        #expect(try await workspace.run(["plan"]).stdout.contains("No changes"))
    }
}
