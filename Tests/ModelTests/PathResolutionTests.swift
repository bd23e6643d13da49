import Model
import Testing

@Suite("Lexical paths")
struct PathResolutionTests {
    @Test func normalizeRemovesDotsEmptyComponentsAndKnownParents() {
        #expect(PathResolution.normalize("/a//b/./c/../d/") == "/a/b/d")
        #expect(PathResolution.normalize("../a/./..") == "..")
        #expect(PathResolution.normalize("") == ".")
        #expect(PathResolution.normalize("/") == "/")
        #expect(PathResolution.normalize("//") == "/")
        #expect(PathResolution.normalize("/..") == "/")
        #expect(PathResolution.normalize("a/...") == "a/...")
        #expect(PathResolution.normalize("./a") == "a")
    }

    /// `normalize` returns paths that are normal already as they are; whatever a path holds,
    /// the result has no empty or `.` component, `..` only at the start of a relative path, and
    /// normalizing it again changes nothing.
    @Test func anyPathComesOutNormal() {
        var generator = SeededGenerator(seed: 7)
        let pieces = ["/", "/", "a", "b", ".", "..", "...", ".a", "a.", ""]
        for _ in 0..<20_000 {
            let path = (0..<Int.random(in: 0...7, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            let normal = PathResolution.normalize(path)
            let parts = normal.split(separator: "/", omittingEmptySubsequences: false)
                .dropFirst(normal.hasPrefix("/") ? 1 : 0)
            #expect(normal == "/" || !parts.contains(""), "\(path) -> \(normal)")
            #expect(!parts.contains(".") || normal == ".", "\(path) -> \(normal)")
            #expect(!parts.drop { $0 == ".." && !normal.hasPrefix("/") }.contains(".."), "\(path) -> \(normal)")
            #expect(PathResolution.normalize(normal) == normal, "\(path)")
        }
    }
}
