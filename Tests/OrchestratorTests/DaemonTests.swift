import Foundation
import Glibc
import Testing

/// The daemon against real inotify and real processes. Serialized: the overflow test lowers a
/// kernel limit for the instances created meanwhile.
@Suite("orchestrator run", .serialized)
struct DaemonTests {
    /// A pipeline whose command appends "<relative path> <content>" to out/seen.
    private func recordingPipeline(_ workspace: Workspace, settle: String = "0s", extra: String = "") throws {
        try workspace.manifest(
            "rec",
            """
              watch: {path: ../data/in, settle: \(settle)}
              run:
                command: [sh, -c, 'printf "%s %s\\n" "$0" "$(cat "$1")" >> ../out/seen', "${file.relpath}", "${file}"]
                workingDir: ../pipelines
                concurrency: 2
            \(extra)
            """
        )
    }

    @Test func filesWrittenRenamedAndInNewFoldersAreEachProcessedOnce() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        try workspace.write("data/in/backlog.csv", "old")
        let daemon = try await DaemonProcess.start(workspace)
        try await waitUntil("the backlog is processed") { workspace.lines("out/seen").count == 1 }

        try workspace.write("data/in/in-place.csv", "1")
        try workspace.write("staging.csv", "2")
        try FileManager.default.moveItem(
            atPath: workspace.path("staging.csv"),
            toPath: workspace.path("data/in/renamed.csv")
        )
        try FileManager.default.createDirectory(
            atPath: workspace.path("data/in/a/b/c"),
            withIntermediateDirectories: true
        )
        try workspace.write("data/in/a/b/c/deep.csv", "3")
        try await waitUntil("every file is processed") { workspace.lines("out/seen").count == 4 }
        #expect(try await daemon.stop() == 0)
        #expect(
            workspace.lines("out/seen").sorted() == [
                "a/b/c/deep.csv 3", "backlog.csv old", "in-place.csv 1", "renamed.csv 2",
            ]
        )
    }

    @Test func aBurstOf2000Files() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--max-jobs", "4"])
        for index in 0..<2000 { try workspace.write("data/in/f\(index).csv", "\(index)") }
        try await waitUntil("2000 files are processed", timeout: .seconds(180)) {
            workspace.lines("out/seen").count >= 2000
        }
        #expect(try await daemon.stop() == 0)
        let seen = workspace.lines("out/seen")
        #expect(seen.count == 2000)
        #expect(Set(seen) == Set((0..<2000).map { "f\($0).csv \($0)" }))
    }

    @Test(.enabled(if: inotifyLimitsWritable, "lowering an inotify limit needs root and a writable /proc/sys"))
    func queueOverflowLosesNothing() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        let limit = "/proc/sys/fs/inotify/max_queued_events"
        let original = try? String(contentsOfFile: limit, encoding: .utf8)
        let lowered = (try? "16".write(toFile: limit, atomically: false, encoding: .utf8)) != nil
        try #require(lowered, "cannot lower \(limit)")
        let daemon: DaemonProcess
        do {
            defer {
                if lowered, let original { try? original.write(toFile: limit, atomically: false, encoding: .utf8) }
            }
            daemon = try await DaemonProcess.start(workspace, arguments: ["--rescan-interval", "3600"])
        }
        // Hold the reader: a stopped process reads nothing, and the kernel queue overflows.
        kill(daemon.process.processIdentifier, SIGSTOP)
        for index in 0..<500 { try workspace.write("data/in/f\(index).csv", "\(index)") }
        kill(daemon.process.processIdentifier, SIGCONT)
        try await waitUntil("500 files are processed", timeout: .seconds(120)) {
            workspace.lines("out/seen").count >= 500
        }
        #expect(try await daemon.stop() == 0)
        #expect(Set(workspace.lines("out/seen")).count == 500)
        #expect(workspace.lines("out/seen").count == 500)
        #expect(daemon.log.contains("overflow"))
    }

    @Test func aWriterPausingLongerThanSettleIsNotTakenBeforeItCloses() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace, settle: "1s")
        let daemon = try await DaemonProcess.start(workspace)
        _ = FileManager.default.createFile(atPath: workspace.path("data/in/slow.csv"), contents: nil)
        let writer = try #require(FileHandle(forWritingAtPath: workspace.path("data/in/slow.csv")))
        try writer.write(contentsOf: Data("first half, ".utf8))
        try await Task.sleep(for: .seconds(3))
        #expect(workspace.lines("out/seen").isEmpty, "taken while its writer still had it open")
        try writer.write(contentsOf: Data("second half".utf8))
        try writer.close()
        try await waitUntil("the closed file is processed") { !workspace.lines("out/seen").isEmpty }
        #expect(try await daemon.stop() == 0)
        #expect(workspace.lines("out/seen") == ["slow.csv first half, second half"])
    }

    @Test func manifestsEditedBrokenFixedAndRemovedWhileRunning() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        func version(_ tag: String, broken: Bool = false) throws {
            try workspace.manifest(
                "live",
                """
                  watch: {path: ../data/in, settle: 0s\(broken ? ", bogus: 1" : "")}
                  run:
                    command: [sh, -c, 'echo "\(tag) $0" >> ../out/seen', "${file.name}"]
                    workingDir: ../pipelines
                """
            )
        }
        try version("v1")
        try workspace.manifest("other", "  watch: {path: ../data/other}\n  run: {command: [\"true\"]}\n")
        let daemon = try await DaemonProcess.start(workspace)
        try workspace.write("data/in/a.csv", "a")
        try await waitUntil("a is processed by v1") { workspace.lines("out/seen") == ["v1 a.csv"] }

        try version("v2")
        try await waitUntil("v2 is applied") { daemon.log.contains("pipeline updated") }
        try workspace.write("data/in/b.csv", "b")
        try await waitUntil("b is processed by v2") { workspace.lines("out/seen").last == "v2 b.csv" }

        try version("v3", broken: true)
        try await waitUntil("the broken manifest is reported") { daemon.log.contains("invalid manifest") }
        let status = try await workspace.run(["status"])
        #expect(status.stdout.contains("Ready=False InvalidManifest"))
        try workspace.write("data/in/c.csv", "c")
        try await waitUntil("c is processed by the last applied spec") {
            workspace.lines("out/seen").last == "v2 c.csv"
        }

        try version("v4")
        try await waitUntil("v4 is applied") { daemon.log.components(separatedBy: "pipeline updated").count == 3 }
        try workspace.write("data/in/d.csv", "d")
        try await waitUntil("d is processed by v4") { workspace.lines("out/seen").last == "v4 d.csv" }

        try FileManager.default.removeItem(atPath: workspace.path("pipelines/live.yaml"))
        try await waitUntil("the pipeline is deleted") { daemon.log.contains("pipeline deleted") }
        try workspace.write("data/in/e.csv", "e")
        try await Task.sleep(for: .seconds(1))
        #expect(try await daemon.stop() == 0)
        #expect(workspace.lines("out/seen") == ["v1 a.csv", "v2 b.csv", "v2 c.csv", "v4 d.csv"])
        let ledger = try await workspace.run(["ledger", "live"])
        #expect(
            ledger.stdout.split(separator: "\n").filter { $0.hasPrefix("succeeded") }.count == 4,
            "the ledger of a removed pipeline is kept"
        )
    }

    @Test func removingEveryManifestIsRefused() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        let daemon = try await DaemonProcess.start(workspace)
        try FileManager.default.removeItem(atPath: workspace.path("pipelines/rec.yaml"))
        try await waitUntil("the refusal is logged") { daemon.log.contains("refusing to delete everything") }
        try workspace.write("data/in/still.csv", "on")
        try await waitUntil("the pipeline keeps running") { workspace.lines("out/seen") == ["still.csv on"] }
        #expect(try await daemon.stop() == 0)
    }

    @Test func sigtermLetsRunningJobsFinish() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "slow",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo start >> ../out/seen; sleep 1; echo done >> ../out/seen']
                workingDir: ../pipelines
            """
        )
        let daemon = try await DaemonProcess.start(workspace)
        try workspace.write("data/in/x.csv", "x")
        try await waitUntil("the job has started") { workspace.lines("out/seen") == ["start"] }
        #expect(try await daemon.stop(SIGTERM) == 0)
        #expect(workspace.lines("out/seen") == ["start", "done"])
        let ledger = try await workspace.run(["ledger", "slow"])
        #expect(ledger.stdout.hasPrefix("succeeded"))
    }

    @Test func sigtermPastTheGraceKillsJobsAndLeavesThemRetryable() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "stuck",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'echo start >> ../out/seen; [ -e ../out/fast ] || sleep 60; echo done >> ../out/seen']
                workingDir: ../pipelines
            """
        )
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--drain", "1"])
        try workspace.write("data/in/x.csv", "x")
        try await waitUntil("the job has started") { workspace.lines("out/seen") == ["start"] }
        #expect(try await daemon.stop(SIGTERM, timeout: .seconds(15)) == 0)
        #expect(workspace.lines("out/seen") == ["start"])
        #expect(try await workspace.run(["ledger", "stuck"]).stdout.hasPrefix("failed"))

        try workspace.write("out/fast", "")
        let again = try await DaemonProcess.start(workspace)
        try await waitUntil("the interrupted content runs again") { workspace.lines("out/seen").last == "done" }
        #expect(try await again.stop() == 0)
        #expect(workspace.lines("out/seen") == ["start", "start", "done"])
    }

    @Test func sigkillThenRestartEveryContentSucceedsExactlyOnce() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "many",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'sleep 0.2; echo "$0" >> ../out/done', "${file.name}"]
                workingDir: ../pipelines
                concurrency: 4
            """
        )
        for index in 0..<40 { try workspace.write("data/in/f\(index).csv", "\(index)") }
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--max-jobs", "4"])
        try await waitUntil("some contents are done") { workspace.lines("out/done").count >= 8 }
        try await daemon.stop(SIGKILL)
        try await Task.sleep(for: .milliseconds(600))

        let again = try await DaemonProcess.start(workspace, arguments: ["--max-jobs", "4"])
        try await waitUntil("every content is done", timeout: .seconds(60)) {
            Set(workspace.lines("out/done")).count == 40
        }
        #expect(try await again.stop() == 0)
        let done = workspace.lines("out/done")
        #expect(done.count == 40, "each content once: \(done.sorted())")
        let ledger = try await workspace.run(["ledger", "many"])
        #expect(ledger.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("succeeded") }.count == 40)
    }

    @Test func aWatchedFolderRemovedAndRecreatedIsWatchedAgain() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        let daemon = try await DaemonProcess.start(workspace)
        try FileManager.default.removeItem(atPath: workspace.path("data/in"))
        try FileManager.default.createDirectory(atPath: workspace.path("data/in"), withIntermediateDirectories: true)
        try workspace.write("data/in/after.csv", "back")
        try await waitUntil("a file in the recreated folder is processed") {
            workspace.lines("out/seen") == ["after.csv back"]
        }
        #expect(try await daemon.stop() == 0)
    }

    @Test func pollPipelinesArePolled() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace, extra: "  onSuccess: keep")
        let text = workspace.read("pipelines/rec.yaml").replacingOccurrences(
            of: "settle: 0s}",
            with: "settle: 0s, poll: 300ms}"
        )
        try workspace.write("pipelines/rec.yaml", text)
        let daemon = try await DaemonProcess.start(workspace)
        try workspace.write("data/in/polled.csv", "p")
        try await waitUntil("the polled file is processed") { workspace.lines("out/seen") == ["polled.csv p"] }
        #expect(try await daemon.stop() == 0)
    }

    @Test(.enabled(if: inotifyLimitsWritable, "lowering an inotify limit needs root and a writable /proc/sys"))
    func theWatchLimitFallsBackToPolling() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try recordingPipeline(workspace)
        for folder in ["a", "b", "c"] {
            try FileManager.default.createDirectory(
                atPath: workspace.path("data/in/\(folder)"),
                withIntermediateDirectories: true
            )
        }
        let limit = "/proc/sys/fs/inotify/max_user_watches"
        let original = try String(contentsOfFile: limit, encoding: .utf8)
        try "2".write(toFile: limit, atomically: false, encoding: .utf8)
        let daemon: DaemonProcess
        do {
            defer { try? original.write(toFile: limit, atomically: false, encoding: .utf8) }
            daemon = try await DaemonProcess.start(workspace, arguments: ["--fallback-poll", "1"])
        }
        #expect(daemon.log.contains("polled instead"))
        try workspace.write("data/in/b/deep.csv", "d")
        try await waitUntil("the file is found by polling") { workspace.lines("out/seen") == ["b/deep.csv d"] }
        #expect(try await daemon.stop() == 0)
    }
}

/// Whether this process may lower the kernel's inotify limits (root, and /proc/sys not read-only).
let inotifyLimitsWritable =
    access("/proc/sys/fs/inotify/max_queued_events", W_OK) == 0
    && access("/proc/sys/fs/inotify/max_user_watches", W_OK) == 0

extension DaemonTests {
    /// A content that failed before the daemon started, its retry not yet due: the daemon's
    /// first (whole) look sees it waiting, and looks at that file again when the retry is due,
    /// not at the next rescan.
    @Test func aRetryPendingAtStartRunsWhenDue() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "flaky",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, '[ -e ../out/tried ] && echo "$0" >> ../out/done || { touch ../out/tried; exit 3; }', "${file.name}"]
                workingDir: ../pipelines
                retries: 2
                backoff: 2s
            """
        )
        try workspace.write("data/in/x.csv", "x")
        let first = try await workspace.run(["reconcile"])
        #expect(first.status == 1 && workspace.exists("out/tried"))
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--rescan-interval", "600"])
        try await waitUntil("the retry runs when due", timeout: .seconds(15)) {
            workspace.lines("out/done") == ["x.csv"]
        }
        #expect(try await daemon.stop() == 0)
    }
}
