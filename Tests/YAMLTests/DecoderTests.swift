import Testing
import YAML

private struct Server: Decodable, Equatable {
    var host: String
    var port: Int
    var tags: [String]
    var ratio: Double?
    var enabled: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, tags, ratio, enabled
    }
}

@Suite("Decoder")
struct DecoderTests {
    @Test func decodesCoreSchemaValues() throws {
        let server = try YAMLDecoder().decode(
            Server.self,
            from: "host: db\nport: 0x10\ntags: [a, 'b']\nratio: 1e-1\nenabled: true\n"
        )
        #expect(server == Server(host: "db", port: 16, tags: ["a", "b"], ratio: 0.1, enabled: true))
    }

    @Test func reportsTypeErrorsAndUnknownFieldsTogether() {
        do {
            _ = try YAMLDecoder().decode(
                Server.self,
                from: "host: db\nprot: 1\nport: \"80\"\ntags: []\nenabled: true\n"
            )
            Issue.record("expected errors")
        } catch {
            // The synthesized init stops at its first error; the unknown field is reported anyway.
            #expect(error.errors.map(\.kind) == [.unknownField, .typeMismatch])
            #expect(
                error.errors.map(\.description) == [
                    "unknown field \"prot\"; did you mean \"port\"?",
                    "port: expected an integer, found the string \"80\"",
                ]
            )
            #expect(error.errors.map(\.mark) == [Mark(line: 2, column: 1), Mark(line: 3, column: 7)])
        }
    }

    @Test func quotedNumbersAreStringsAndPlainNumbersAreNot() throws {
        #expect(try YAMLDecoder().decode([String].self, from: "['1', \"2\"]") == ["1", "2"])
        #expect(throws: YAMLErrors.self) { try YAMLDecoder().decode([String].self, from: "[1]") }
    }

    @Test func missingFieldIsLocatedAtItsMapping() {
        do {
            _ = try YAMLDecoder().decode([String: Server].self, from: "a:\n  host: x\n  port: 1\n  tags: []\n")
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(\.description) == ["a: missing required field \"enabled\""])
            #expect(error.errors.first?.mark == Mark(line: 2, column: 3))
        }
    }

    @Test func emptyDocumentIsAnError() {
        #expect(throws: YAMLErrors.self) { try YAMLDecoder().decode(Server.self, from: "# nothing\n") }
    }
}

@Suite("Emitter")
struct EmitterTests {
    private struct Sample: Encodable {
        var name = "x"
        var numberLike = "9200"
        var boolLike = "yes"
        var empty = ""
        var multiline = "a\nb\n"
        var colon = "a: b"
        var list = ["-p", "${file}", "*.csv"]
        var count = 3
        var flag = false
    }

    @Test func keepsDeclarationOrderAndQuotesOnlyWhereNeeded() throws {
        let text = try YAMLEncoder().encodeToString(Sample())
        #expect(
            text == """
                name: x
                numberLike: "9200"
                boolLike: "yes"
                empty: ""
                multiline: |
                  a
                  b
                colon: 'a: b'
                list:
                - -p
                - ${file}
                - '*.csv'
                count: 3
                flag: false

                """
        )
    }

    @Test func stringsReadBackAsStrings() throws {
        let tricky = [
            "yes", "no", "on", "0777", "1_000", "12:30", "null", "~", "", "true", " lead", "trail ", "#x", "x #y",
            "- a", "[a]", "{a}", "&a", "*a", "!a", "%a", "@a", "`a", "'q'", "\"dq\"", "tab\there", "é ☃", "a\nb", "\n",
        ]
        let node = Node.sequence(tricky.map(Node.string))
        let text = try Emitter.emit([node])
        let parsed = try #require(try Parser.parse(text))
        guard case .sequence(let items) = parsed.content else {
            Issue.record("not a sequence")
            return
        }
        #expect(items.map(\.resolved) == tricky.map { .string($0) })
    }

    @Test func multipleDocumentsAreSeparated() throws {
        let text = try Emitter.emit([.mapping([("a", .string("1"))]), .mapping([("b", .string("2"))])])
        #expect(try Parser.parseStream(text).count == 2)
    }
}
