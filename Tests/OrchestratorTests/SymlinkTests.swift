import Foundation
import Testing

/// A symlinked `watch.path` is followed, as `find -H` follows its arguments; links inside it
/// are not, and the plan says how many it ignored.
@Suite("Symbolic links")
struct SymlinkTests {
    @Test func aSymlinkedRootIsFollowedLinksInsideAreCountedNotFollowed() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest("rec", "  watch: {path: ../data/current, settle: 0s}\n  run: {command: [\"true\"]}\n")
        try workspace.write("data/releases/v2/a.csv", "a")
        try workspace.write("outside/secret.csv", "s")
        try FileManager.default.createSymbolicLink(
            atPath: workspace.path("data/current"),
            withDestinationPath: "releases/v2"
        )
        try FileManager.default.createSymbolicLink(
            atPath: workspace.path("data/releases/v2/escape.csv"),
            withDestinationPath: "../../../outside/secret.csv"
        )
        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("+ a.csv"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("escape.csv"))
        #expect(plan.stdout.contains("1 symbolic link inside the folder ignored"))
        #expect(!plan.stdout.contains("does not exist"))
        let reconcile = try await workspace.run(["reconcile"])
        #expect(reconcile.stdout.contains("✓ rec/a.csv: succeeded"), "\(reconcile.stdout)")
    }
}
