import Foundation
import Testing

/// A content is recorded as processed, and its file action done, only when the file still holds
/// it when the run ends.
@Suite("A file rewritten during its run")
struct ChangedDuringRunTests {
    @Test func aSameSizeRewriteWithItsMtimeRestoredIsNeitherRecordedNorDeleted() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "rec",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'touch ../out/started; while [ ! -e ../out/go ]; do sleep 0.05; done; cat "$0" >> ../out/seen; echo >> ../out/seen', "${file}"]
                workingDir: ../pipelines
              onSuccess: delete
            """
        )
        let file = workspace.path("data/in/a.csv")
        try workspace.write("data/in/a.csv", "AAAA")
        // A process of its own, not CLI.run: its blocking reads would hold the test's threads.
        let reconcile = Process()
        reconcile.executableURL = CLI.productsDirectory.appendingPathComponent("orchestrator")
        reconcile.arguments = ["reconcile"]
        reconcile.currentDirectoryURL = workspace.root
        _ = FileManager.default.createFile(atPath: workspace.path("out/first.txt"), contents: nil)
        reconcile.standardOutput = FileHandle(forWritingAtPath: workspace.path("out/first.txt"))
        reconcile.standardError = FileHandle.nullDevice
        try reconcile.run()
        defer { if reconcile.isRunning { reconcile.terminate() } }
        try await waitUntil("the run has started") { workspace.exists("out/started") }
        // As `cp -p` or rsync rewrite a file: same size, the old mtime put back.
        let mtime = try #require(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date)
        try workspace.write("data/in/a.csv", "BBBB")
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: file)
        try workspace.write("out/go", "")
        try await waitUntil("the first reconcile ends") { !reconcile.isRunning }
        #expect(
            workspace.read("out/first.txt").contains("rec/a.csv: interrupted: the file changed during the run"),
            "\(workspace.read("out/first.txt"))"
        )
        #expect(workspace.read("data/in/a.csv") == "BBBB", "content B is not deleted")

        let second = try await workspace.run(["reconcile"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("✓ rec/a.csv: succeeded"), "content B is planned as new: \(second.stdout)")
        #expect(!workspace.exists("data/in/a.csv"), "and deleted once processed")

        try workspace.write("data/in/again.csv", "AAAA")
        let third = try await workspace.run(["reconcile"])
        #expect(
            third.stdout.contains("✓ rec/again.csv: succeeded"),
            "content A was never processed, so it runs: \(third.stdout)"
        )
        #expect(workspace.lines("out/seen") == ["BBBB", "BBBB", "AAAA"])
    }
}
