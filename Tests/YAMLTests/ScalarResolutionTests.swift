import Testing
import YAML

@Suite("YAML 1.2 core schema")
struct ScalarResolutionTests {
    @Test(arguments: [
        ("", Scalar.Value.null), ("~", .null), ("null", .null), ("NULL", .null),
        ("true", .bool(true)), ("False", .bool(false)),
        ("yes", .string("yes")), ("off", .string("off")), ("y", .string("y")),
        ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("0x1F", .int(31)), ("0o17", .int(15)),
        ("0777", .int(777)), ("1_000", .string("1_000")), ("12:30", .string("12:30")),
        ("1.5", .float(1.5)), ("1.", .float(1)), (".5", .float(0.5)), ("1e3", .float(1000)),
        ("-.inf", .float(-.infinity)),
        ("2s", .string("2s")), ("\\.csv$", .string("\\.csv$")), ("0x", .string("0x")), ("1e", .string("1e")),
    ])
    func plain(_ text: String, _ expected: Scalar.Value) {
        #expect(Scalar(text).resolve() == expected)
    }

    @Test func quotedIsAlwaysString() {
        #expect(Scalar("42", style: .doubleQuoted).resolve() == .string("42"))
        #expect(Scalar("true", style: .singleQuoted).resolve() == .string("true"))
        #expect(Scalar("null", style: .literal).resolve() == .string("null"))
    }

    @Test func explicitTags() {
        #expect(Scalar("42").resolve(tag: Tag.str) == .string("42"))
        #expect(Scalar("42").resolve(tag: Tag.float) == .float(42))
        #expect(Scalar("abc").resolve(tag: Tag.int) == .string("abc"))
    }

    @Test func nanResolvesToNaN() throws {
        guard case .float(let value) = Scalar(".nan").resolve() else {
            Issue.record("not a float")
            return
        }
        #expect(value.isNaN)
    }
}
