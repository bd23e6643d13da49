/// Decides which files of a watched folder a pipeline takes: built-in excludes, `include`,
/// `exclude`, `regex` and `recursive`, applied to the path relative to `watch.path`.
public struct WatchFilter: Sendable {
    private let include: [Glob]
    private let exclude: [Glob]
    private let regex: CompiledRegex?
    private let recursive: Bool

    public init(_ watch: WatchSpec) throws(RegexError) {
        include = watch.include
        exclude = WatchSpec.builtInExcludes + watch.exclude
        regex = try watch.regex?.compile()
        recursive = watch.recursive
    }

    /// Whether the walk should enter the folder at `relativePath` at all.
    public func descends(into relativePath: String) -> Bool {
        recursive && !(relativePath.split(separator: "/").last?.hasPrefix(".") ?? false)
    }

    /// Whether the file at `relativePath` belongs to the pipeline.
    public func accepts(_ relativePath: String) -> Bool {
        if relativePath.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { return false }
        if exclude.contains(where: { $0.matches(relativePath) }) { return false }
        if !include.isEmpty, !include.contains(where: { $0.matches(relativePath) }) { return false }
        if let regex, !regex.matches(relativePath) { return false }
        return true
    }
}
