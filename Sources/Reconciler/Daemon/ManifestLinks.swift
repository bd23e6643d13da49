import Model

/// The names whose change moves the pipelines folder elsewhere: the folder's own name in the
/// folder that holds it (a recreated folder, a swapped `pipelines -> rev2` link), and each
/// symbolic link among its ancestors in theirs (git-sync's `current` in `/git/current/pipelines`).
/// Watching those folders for those names is how the daemon follows a swap at once.
enum ManifestLinks {
    /// The (folder, name) pairs for `path`, outermost first; `isLink` tells a symbolic link.
    static func names(
        of path: String,
        isLink: (String) -> Bool = { FileStat.of($0)?.isSymbolicLink == true }
    ) -> [(folder: String, name: String)] {
        let parts = Observer.absolute(path).split(separator: "/").map(String.init)
        var pairs: [(folder: String, name: String)] = []
        var prefix = ""
        for (index, part) in parts.enumerated() {
            let folder = prefix.isEmpty ? "/" : prefix
            prefix += "/" + part
            if index == parts.count - 1 || isLink(prefix) { pairs.append((folder, part)) }
        }
        return pairs
    }
}
