import Model
import Testing

/// Hostile legacy configs: each was a crash, minutes or gigabytes before; each is now a located
/// error or a linear conversion. Growth ratios are measured by `scripts/bench/parsers.sh`.
@Suite("Legacy config bounds")
struct LegacyConfigBoundsTests {
    private let header = "WATCH_DIR=/data/in\nCOMMAND=/scripts/load.sh\n"

    private func errors(_ conversion: LegacyConverter.Conversion) -> [String] {
        conversion.diagnostics.filter { $0.severity == .error }.map(\.description)
    }

    /// Was a SIGSEGV (20,000 nested `${A:-…}` exhausted the stack).
    @Test func deepNestingIsALocatedError() {
        let depth = 20_000
        let text =
            header + "X=" + String(repeating: "${A:-", count: depth) + "x" + String(repeating: "}", count: depth) + "\n"
        let result = LegacyConverter().convert(text, file: "deep.conf")
        #expect(result.pipeline == nil)
        #expect(errors(result) == ["deep.conf:3:323: error: expansions nest deeper than 64 levels"])
        let fine = LegacyConverter().convert(
            header + "X=" + String(repeating: "${A:-", count: 60) + "x" + String(repeating: "}", count: 60) + "\n",
            file: "ok.conf"
        )
        #expect(fine.pipeline?.spec.run.env.names == ["X"])
    }

    /// Was 13 s and 264 MB: every line doubled the value.
    @Test func doublingValuesStopAtTheBound() {
        let lines = ["A0=abcdefgh"] + (1...22).map { "A\($0)=\"$A\($0 - 1)$A\($0 - 1)\"" }
        let result = LegacyConverter().convert(header + lines.joined(separator: "\n") + "\n", file: "double.conf")
        #expect(result.pipeline == nil)
        // 8 bytes doubled 17 times is 1 MiB; the 18th doubling is refused where it crosses.
        #expect(
            errors(result).first
                == "double.conf:21:14: error: the value grows past 1024 KiB here; no command takes an argument or environment value that large"
        )
    }

    @Test func repeatedReferencesOnOneLineStopAtTheBound() {
        let text =
            header + "A=\"\(String(repeating: "a", count: 1000))\"\nB=" + String(repeating: "$A", count: 2000) + "\n"
        let result = LegacyConverter().convert(text, file: "wide.conf")
        #expect(errors(result).count == 1)
        #expect(errors(result).first?.contains("the value grows past 1024 KiB here") == true)
    }

    /// Were 19 s and 66 s: a value built by copying itself on each character, a duplicate check
    /// and the YAML encoder scanning every earlier key.
    @Test func largeValuesAndManyKeysConvertWhole() throws {
        let value = String(repeating: "y", count: 1_000_000)
        let big = LegacyConverter().convert(header + "X=\"\(value)\"\n", file: "big.conf")
        #expect(big.pipeline?.spec.run.env["X"] == .value(Template.literal(value)))
        let count = 40_000
        let keys = LegacyConverter().convert(header + (0..<count).map { "K\($0)=v\($0)\n" }.joined(), file: "keys.conf")
        let pipeline = try #require(keys.pipeline)
        #expect(pipeline.spec.run.env.names.count == count)
        #expect(keys.yaml?.contains("K39999: v39999") == true)
    }

    @Test func aManifestOverTheBoundIsRefused() {
        let value = String(repeating: "z", count: 600_000)
        let result = LegacyConverter().convert(header + "X=\"\(value)\"\nY=\"\(value)\"\n", file: "huge.conf")
        #expect(result.yaml == nil)
        #expect(
            errors(result) == [
                "huge.conf:1:1: error: the manifest would be larger than 1024 KiB, the most a manifest file may hold; move values out of the config"
            ]
        )
    }
}

extension LegacyConfigBoundsTests {
    /// Found by `scripts/fuzz.sh legacy-conf`: a NUL in COMMAND trapped in `Template.literal`.
    @Test func aNulByteIsALocatedError() {
        let result = LegacyConverter().convert("WATCH_DIR=/in\nCOMMAND=/load.s\u{0}h\n", file: "nul.conf")
        #expect(result.pipeline == nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "nul.conf:2:16: error: a NUL byte: a config is text, and no command or environment value can hold one"
            ]
        )
    }
}

extension LegacyConfigBoundsTests {
    /// Found by `scripts/fuzz.sh legacy-conf`: `$'\x00'` made a NUL that trapped later.
    @Test(arguments: [#"A=$'\x00'"#, #"A=$'x\0'"#, #"A=$'\u0000'"#])
    func aNulFromAnEscapeIsALocatedError(_ line: String) {
        let result = LegacyConverter().convert("WATCH_DIR=/in\nCOMMAND=/load.sh\n" + line + "\n", file: "esc.conf")
        #expect(
            result.diagnostics.map(\.description) == [
                "esc.conf:3:4: error: this $'…' quote makes a NUL byte, which no command or environment value can hold"
            ]
        )
    }
}
