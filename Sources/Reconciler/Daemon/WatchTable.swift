/// Which folders of which pipelines each inotify watch stands for. One folder watched by two
/// pipelines is one kernel watch with two owners, removed only when both let go.
struct WatchTable {
    struct Owner: Hashable {
        var pipeline: String
        /// The folder relative to the pipeline's `watch.path` ("" for the root).
        var folder: String
    }

    private var owners: [Int32: Set<Owner>] = [:]
    private var byPipeline: [String: [String: Int32]] = [:]

    func owners(of watch: Int32) -> Set<Owner> { owners[watch] ?? [] }

    func isWatching(_ pipeline: String, folder: String) -> Bool { byPipeline[pipeline]?[folder] != nil }

    mutating func add(_ watch: Int32, pipeline: String, folder: String) {
        owners[watch, default: []].insert(Owner(pipeline: pipeline, folder: folder))
        byPipeline[pipeline, default: [:]][folder] = watch
    }

    /// Forgets a watch the kernel dropped (IN_IGNORED): its folder is gone or was moved.
    mutating func dropped(_ watch: Int32) -> Set<Owner> {
        let gone = owners.removeValue(forKey: watch) ?? []
        for owner in gone where byPipeline[owner.pipeline]?[owner.folder] == watch {
            byPipeline[owner.pipeline]?[owner.folder] = nil
        }
        return gone
    }

    /// Removes a pipeline's ownership of all its watches; returns the watches nobody owns any more.
    mutating func release(_ pipeline: String) -> [Int32] {
        var orphaned: [Int32] = []
        for (folder, watch) in byPipeline.removeValue(forKey: pipeline) ?? [:] {
            owners[watch]?.remove(Owner(pipeline: pipeline, folder: folder))
            if owners[watch]?.isEmpty ?? false {
                owners[watch] = nil
                orphaned.append(watch)
            }
        }
        return orphaned
    }
}
