import Foundation
import Testing

/// Names that are not UTF-8 (Windows-1252 from an SMB share) used to vanish: now they are
/// planned, escaped for people, exact in JSON, and reach the command byte for byte.
@Suite("File names that are not UTF-8")
struct RawFileNameTests {
    private func create(_ folder: String, _ name: [UInt8], _ text: String) throws {
        try createIn(Array(folder.utf8), name, text)
    }

    private func names(_ folder: String) -> [[UInt8]] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var result: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E], name != [0x2E, 0x2E] { result.append(name) }
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }
    }

    @Test func namesThatAreNotUTF8AreProcessedByteForByte() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        // The command copies its argument and ORCHESTRATOR_FILE, as bytes, into out/.
        try workspace.manifest(
            "smb",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'printf "%s|%s\\n" "$1" "$ORCHESTRATOR_FILE" >> ../out/seen', x, "${file.name}"]
                workingDir: ../pipelines
              onSuccess: {action: move, to: ../data/done}
            """
        )
        let resume1252: [UInt8] = Array("r".utf8) + [0xE9] + Array("sum".utf8) + [0xE9] + Array(".csv".utf8)
        let resume850: [UInt8] = Array("r".utf8) + [0x82] + Array("sum".utf8) + [0x82] + Array(".csv".utf8)
        try create(workspace.path("data/in"), resume1252, "one\n")
        try create(workspace.path("data/in"), resume850, "two\n")

        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("    + r\\x82sum\\x82.csv  sha256:"), "\(plan.stdout)")
        #expect(plan.stdout.contains("    + r\\xe9sum\\xe9.csv  sha256:"))
        #expect(plan.stdout.contains("2 files to process"))
        let json = try await workspace.run(["plan", "--output", "json"])
        try await JSONSchemaCheck.expectValid(json.stdout)
        #expect(json.stdout.contains("\"path\" : \"r\\\\xe9sum\\\\xe9.csv\""), "\(json.stdout)")
        #expect(json.stdout.contains("\"path_bytes\" : \"\(Data(resume1252).base64EncodedString())\""))

        let result = try await workspace.run(["reconcile"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Reconciled: 2 succeeded, 0 failed."))
        let seen = try Data(contentsOf: URL(fileURLWithPath: workspace.path("out/seen")))
        let root = Array(workspace.path("data/in").utf8) + [UInt8(ascii: "/")]
        var expected: [UInt8] = []
        for name in [resume850, resume1252] { expected += name + [UInt8(ascii: "|")] + root + name + [0x0A] }
        #expect(Array(seen) == expected, "argv and ORCHESTRATOR_FILE carry the exact bytes")
        #expect(names(workspace.path("data/done")) == [resume850, resume1252])
        #expect(names(workspace.path("data/in")).isEmpty)
        #expect(try await workspace.run(["plan"]).stdout.contains("No changes"))
    }

    /// The daemon learns names from inotify events and folder listings: a folder and a file
    /// that are not UTF-8, made while it runs, are watched and processed.
    @Test func theDaemonFollowsFoldersAndFilesThatAreNotUTF8() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.manifest(
            "smb",
            """
              watch: {path: ../data/in, settle: 0s}
              run:
                command: [sh, -c, 'printf "%s\\n" "$1" >> ../out/seen', x, "${file.relpath}"]
                workingDir: ../pipelines
            """
        )
        let daemon = try await DaemonProcess.start(workspace)
        let folder: [UInt8] = Array("d".utf8) + [0xE9]
        let file: [UInt8] = Array("f".utf8) + [0xFF] + Array(".csv".utf8)
        let folderPath = Array(workspace.path("data/in").utf8) + [UInt8(ascii: "/")] + folder
        #expect(
            (folderPath + [0]).withUnsafeBufferPointer {
                $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
            } == 0
        )
        try createIn(folderPath, file, "x\n")
        try await waitUntil("the file is processed") { workspace.exists("out/seen") }
        #expect(try await daemon.stop() == 0)
        let seen = try Data(contentsOf: URL(fileURLWithPath: workspace.path("out/seen")))
        #expect(Array(seen) == folder + [UInt8(ascii: "/")] + file + [0x0A])
    }

    private func createIn(_ folder: [UInt8], _ name: [UInt8], _ text: String) throws {
        let path = folder + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        #expect(descriptor >= 0)
        _ = text.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count - 1) }
        close(descriptor)
    }
}
