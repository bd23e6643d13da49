import Foundation
import Model
import Testing

@Suite("File names as bytes")
struct FileSystemNameTests {
    @Test func anyByteStringRoundTrips() {
        var generator = SeededGenerator(seed: 42)
        // Bytes biased towards the interesting ones: UTF-8 leads, continuations, 0xF4, ASCII.
        let palette: [UInt8] = [
            0x41, 0x2E, 0x2F, 0x80, 0xBF, 0xC2, 0xC3, 0xE2, 0xE9, 0xED, 0xF0, 0xF4, 0x8F, 0xBC, 0xFF, 0x00,
        ]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? palette.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let name = FileSystemName.decode(bytes)
            #expect(name.fileSystemBytes == bytes, "\(bytes)")
            #expect(
                name.hasRawBytes
                    == (String(validating: bytes, as: UTF8.self) == nil
                        || name.unicodeScalars.contains { $0.value >= 0x10FF00 })
            )
        }
    }

    @Test func utf8NamesAreUnchangedAndOthersAreEscapedForPeople() {
        #expect(FileSystemName.decode(Array("résumé €.csv".utf8)) == "résumé €.csv")
        #expect(!"résumé €.csv".hasRawBytes && "résumé €.csv".base64Bytes == nil)
        let latin1 = FileSystemName.decode([0x72, 0xE9, 0x73, 0x75, 0x6D, 0xE9, 0x2E, 0x63, 0x73, 0x76])
        #expect(latin1.terminalSafe == "r\\xe9sum\\xe9.csv")
        #expect(latin1.jsonDisplay == "r\\xe9sum\\xe9.csv")
        #expect(latin1.base64Bytes == "culzdW3pLmNzdg==")
        let other = FileSystemName.decode([0x72, 0xE8, 0x73, 0x75, 0x6D, 0xE8, 0x2E, 0x63, 0x73, 0x76])
        #expect(latin1 != other, "names differing only in invalid bytes stay distinct")
        // A name really holding a code point of the escape range keeps its four bytes.
        let reserved = Array("a\u{10FFE9}b".utf8)
        #expect(FileSystemName.decode(reserved).fileSystemBytes == reserved)
        #expect(FileSystemName.decode(reserved).terminalSafe == "a\\xf4\\x8f\\xbf\\xa9b")
    }
}

/// A small deterministic generator (SplitMix64), so that a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
