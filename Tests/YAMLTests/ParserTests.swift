import Testing
import YAML

@Suite("Parser")
struct ParserTests {
    @Test func keepsMarksOfEveryNode() throws {
        let node = try #require(try Parser.parse("a: 1\nlist:\n  - x\n  - {k: v}\n"))
        #expect(node.mark == Mark(line: 1, column: 1))
        #expect(node["a"]?.mark == Mark(line: 1, column: 4))
        guard case .sequence(let items)? = node["list"]?.content else {
            Issue.record("list is not a sequence")
            return
        }
        #expect(items.map(\.mark) == [Mark(line: 3, column: 5), Mark(line: 4, column: 5)])
        #expect(items[1]["k"]?.mark == Mark(line: 4, column: 9))
    }

    @Test func multiDocumentStreamKeepsEmptyDocuments() throws {
        let documents = try Parser.parseStream("a: 1\n---\n# only a comment\n---\nb: 2\n")
        #expect(documents.count == 3)
        #expect(documents[0]?["a"]?.resolved == .int(1))
        #expect(documents[1] == nil)
        #expect(documents[2]?.mark == Mark(line: 5, column: 1))
    }

    @Test func resolvesAliasesAndMergeKeys() throws {
        let node = try #require(
            try Parser.parse(
                """
                base: &base {settle: 2s, poll: 0s}
                watch:
                  <<: *base
                  poll: 5s
                copy: *base
                """
            )
        )
        #expect(node["watch"]?["settle"]?.resolved == .string("2s"))
        #expect(node["watch"]?["poll"]?.resolved == .string("5s"))
        #expect(node["copy"]?["poll"]?.resolved == .string("0s"))
    }

    @Test func syntaxErrorHasLocation() {
        do {
            _ = try Parser.parse("a: 1\nb: c: d\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark == Mark(line: 2, column: 5))
            #expect(error.message == "mapping values are not allowed in this context")
        }
    }

    @Test func unterminatedQuoteIsLocated() throws {
        do {
            _ = try Parser.parse("a: 'open\nb: 2\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.message.contains("quoted scalar"))
            #expect(error.message.contains("line 1, column 4"))
        }
    }

    @Test func duplicateKeyIsAnError() {
        #expect(
            throws: YAMLError(
                .duplicateKey,
                at: Mark(line: 3, column: 1),
                "duplicate key \"a\" (first at line 1, column 1)"
            )
        ) {
            try Parser.parse("a: 1\nb: 2\na: 3\n")
        }
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { try Parser.parse("a: *nope\n") }
    }

    @Test func billionLaughsIsRefused() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...7 {
            let previous = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(previous)]\n"
        }
        do {
            _ = try Parser.parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .tooLarge)
        }
    }

    /// Was quadratic (each item copied the whole list): 100,000 items took 94 s. The growth
    /// ratio is measured by `scripts/bench/manifest.sh`; here, that the result is whole.
    @Test func longListParsesWhole() throws {
        let count = 100_000
        let text = "include:\n" + (0..<count).map { "  - f\($0).csv\n" }.joined()
        guard case .sequence(let items) = try Parser.parse(text)?["include"]?.content else {
            Issue.record("expected a sequence")
            return
        }
        #expect(items.count == count)
        #expect(items.last?.scalar?.text == "f\(count - 1).csv")
        #expect(items.last?.mark == Mark(line: count + 1, column: 5))
    }

    @Test func nestingIsBoundedWithALocatedError() throws {
        let deepest = String(repeating: "[", count: Parser.maxDepth) + String(repeating: "]", count: Parser.maxDepth)
        #expect(try Parser.parse(deepest) != nil)
        for hostile in [
            String(repeating: "[", count: 200_000),
            String(repeating: "{a: ", count: 100) + "1" + String(repeating: "}", count: 100),
        ] {
            do {
                _ = try Parser.parse(hostile)
                Issue.record("expected an error")
            } catch {
                #expect(error.kind == .tooLarge)
                #expect(error.message == "collections nest deeper than 64 levels")
                #expect(error.mark.line == 1)
            }
        }
    }
}
