import Foundation
import Testing

/// Every input in `Tests/Fuzz/seeds` (the fuzzers' seeds and the crashes they found) replays
/// through its parser without a crash: what `scripts/fuzz.sh` found stays fixed.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    @Test(arguments: ["manifest", "legacy-conf", "glob", "template", "csv", "xlsx-sheet"])
    func seedsReplayWithoutACrash(_ target: String) throws {
        let seeds = CLI.repository.appendingPathComponent("Tests/Fuzz/seeds/\(target)")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: seeds.path).isEmpty)
        let replay = Process()
        replay.executableURL = CLI.productsDirectory.appendingPathComponent("orchestrator-fuzz")
        replay.arguments = [target, seeds.path]
        replay.environment = ["SWIFT_BACKTRACE": "enable=no"]
        try replay.run()
        replay.waitUntilExit()
        #expect(replay.terminationReason == .exit && replay.terminationStatus == 0)
    }
}
