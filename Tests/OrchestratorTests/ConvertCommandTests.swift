import Foundation
import Testing

@Suite("orchestrator convert")
struct ConvertCommandTests {
    @Test func convertsGoodFilesWritesNothingForBrokenOnesAndExitsOne() async throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try
            "WATCH_DIR=/data/in\nWATCH_REGEX=\\.(csv|xlsx)$\nCOMMAND=/scripts/runner-file.sh\nDOCKER_IMAGE=etl:1\nPARAMETERS=-f \"$file\"\n"
            .write(to: folder.appendingPathComponent("good.conf"), atomically: true, encoding: .utf8)
        try "WATCH_DIR=/data/in\nCOMMAND=/x.sh\nNAME=\"$(hostname)\"\n"
            .write(to: folder.appendingPathComponent("broken.conf"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["convert", "good.conf", "broken.conf", "-o", "out"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("broken.conf:3:7: error: command substitution $(…) has no safe equivalent"))
        #expect(
            result.stderr.contains("good.conf -> out/good.yaml: pipeline good, container etl:1, 0 env keys, 0 warnings")
        )
        #expect(result.stderr.hasSuffix("Converted 1 of 2 files.\n"))
        let written = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out").path)
        #expect(written == ["good.yaml"])

        let validation = try await CLI.run(["validate", "out"], in: folder)
        #expect(validation.status == 0)
    }

    @Test func rerunningGivesTheSameBytesAndRefusesToClobberEdits() async throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = CLI.repository.appendingPathComponent("pipelines/legacy/sample.conf").path
        #expect(try await CLI.run(["convert", sample, "-o", "out"], in: folder).status == 0)
        let target = folder.appendingPathComponent("out/sample.yaml")
        let first = try Data(contentsOf: target)
        #expect(try await CLI.run(["convert", sample, "-o", "out"], in: folder).status == 0)
        #expect(try Data(contentsOf: target) == first)

        try "edited\n".write(to: target, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(["convert", sample, "-o", "out"], in: folder)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("exists with other content; use --force to replace it"))
        #expect(try String(contentsOf: target, encoding: .utf8) == "edited\n")
        #expect(try await CLI.run(["convert", sample, "-o", "out", "--force"], in: folder).status == 0)
        #expect(try Data(contentsOf: target) == first)
    }

    @Test func standardOutputMode() async throws {
        let sample = CLI.repository.appendingPathComponent("pipelines/legacy/sample.conf").path
        let result = try await CLI.run(["convert", sample, "-o", "-"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("kind: Pipeline\nmetadata:\n  name: sample\n"))
    }
}
