/// Decides which files of a watched folder a pipeline takes: built-in excludes, `include`,
/// `exclude`, `regex` and `recursive`, applied to the path relative to `watch.path`.
public struct WatchFilter: Sendable {
    private let include: [Glob]
    private let exclude: [Glob]
    private let regex: CompiledRegex?
    private let recursive: Bool

    public init(_ watch: WatchSpec) throws(RegexError) {
        include = watch.include
        // Dotfiles are handled by `hasHiddenComponent`, at any depth.
        exclude = WatchSpec.builtInExcludes.filter { $0.pattern != ".*" } + watch.exclude
        regex = try watch.regex?.compile()
        recursive = watch.recursive
    }

    /// Whether the walk should enter the folder at `relativePath` at all.
    public func descends(into relativePath: String) -> Bool {
        recursive && !(relativePath.split(separator: "/").last?.hasPrefix(".") ?? false)
    }

    /// Whether the file at `relativePath` belongs to the pipeline.
    public func accepts(_ relativePath: String) -> Bool {
        if WatchFilter.hasHiddenComponent(relativePath) { return false }
        if exclude.contains(where: { $0.matches(relativePath) }) { return false }
        if !include.isEmpty, !include.contains(where: { $0.matches(relativePath) }) { return false }
        if let regex, !regex.matches(relativePath) { return false }
        return true
    }

    /// Whether any component of the path starts with a dot.
    static func hasHiddenComponent(_ path: String) -> Bool {
        var previous = UInt8(ascii: "/")
        for byte in path.utf8 {
            if byte == UInt8(ascii: "."), previous == UInt8(ascii: "/") { return true }
            previous = byte
        }
        return false
    }
}
