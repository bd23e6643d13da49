import Foundation
import Glibc
import Model

/// Looks at a pipeline's folder: walks it, keeps the files its filter accepts, decides which are
/// ready (unchanged for `settle`), and hashes those whose stat is not in the cache.
///
/// A file that vanishes while observed is simply not there; a file that changes while it is
/// hashed is not settled. The walk streams: memory grows with the number of accepted files'
/// names, never with their sizes.
public struct Observer: Sendable {
    public let store: any StateStore

    public init(store: any StateStore) {
        self.store = store
    }

    /// Observes the whole folder of `pipeline`, whose relative paths are relative to the folder
    /// of `manifestFile`, and saves what it learned to the stat cache.
    public func observe(_ pipeline: Pipeline, manifestFile: String, now: Date) throws -> ObservedFolder {
        let look = try self.look(pipeline, manifestFile: manifestFile, now: now)
        try store.saveObservations(look.observations, removing: look.removed, pipeline: pipeline.name)
        return look.folder
    }

    /// What a look found, before the stat cache has been told.
    public struct Look: Sendable {
        public var folder: ObservedFolder
        /// Stat-cache rows to save: files hashed by this look.
        public var observations: [Observation] = []
        /// Stat-cache rows to remove: paths no longer there.
        public var removed: [String] = []
    }

    /// Looks at `pipeline`'s folder without saving to the stat cache: the daemon saves the look's
    /// rows in the transaction that records the contents it saw (`StateStore.recordLook`).
    /// Paths in `busy` (seen open for writing and not yet closed) are not ready, whatever their
    /// age. `progress` is called now and then while many files are hashed, with the files and
    /// bytes hashed so far. `only`, when given, limits the look to those paths (relative to the
    /// folder): each is stat'ed and its stat-cache row read by key, so that a look after an event
    /// on one file costs the same in a folder of 20,000 files as in an empty one.
    public func look(
        _ pipeline: Pipeline,
        manifestFile: String,
        now: Date,
        busy: Set<String> = [],
        only paths: Set<String>? = nil,
        progress: ((_ files: Int, _ bytes: Int64) -> Void)? = nil
    ) throws -> Look {
        let root = Self.root(of: pipeline, manifestFile: manifestFile)
        guard let rootStat = FileStat.ofRoot(root), rootStat.isDirectory else {
            return Look(folder: ObservedFolder(problem: "watch.path \(root) does not exist or is not a folder"))
        }
        let filter: WatchFilter
        do { filter = try WatchFilter(pipeline.spec.watch) } catch {
            return Look(folder: ObservedFolder(problem: "\(error)"))
        }
        var entries: [(String, FileStat)] = []
        var links = 0
        let cache: [String: Observation]
        if let paths {
            var rows: [String: Observation] = [:]
            for path in paths.sorted() {
                if let row = try store.observation(pipeline: pipeline.name, path: path) { rows[path] = row }
                guard filter.accepts(path), let stat = FileStat.of(root + "/" + path) else { continue }
                if stat.isRegular { entries.append((path, stat)) } else if stat.isSymbolicLink { links += 1 }
            }
            cache = rows
        } else {
            // The stat cache loads on another thread while the folder is walked.
            let store = self.store
            let cacheLoad = Background { try store.observations(pipeline: pipeline.name) }
            let walked = Self.walk(root, relative: "", filter: filter)
            entries = walked.files
            links = walked.links
            cache = try cacheLoad.value()
        }
        let settleNs = pipeline.spec.watch.settle.milliseconds * 1_000_000
        let nowNs = Int64(now.timeIntervalSince1970 * 1e9)
        var files: [ObservedFile] = []
        var updates: [Observation] = []
        var cachedSeen = 0
        var hashedFiles = 0
        var hashedBytes: Int64 = 0
        var lastProgress = ContinuousClock.now
        var unreadable: [String] = []
        files.reserveCapacity(cache.count)

        for (relative, stat) in entries {
            let cached = cache[relative]
            if cached != nil { cachedSeen += 1 }
            if stat.size == 0 {
                files.append(ObservedFile(path: relative, status: .empty, size: 0))
                continue
            }
            if let cached, let sha = cached.sha256, stat.matches(cached) {
                files.append(ObservedFile(path: relative, status: .ready, size: stat.size, sha256: sha))
                continue
            }
            let observation = Observation(
                pipeline: pipeline.name,
                path: relative,
                device: stat.device,
                inode: stat.inode,
                size: stat.size,
                mtimeNs: stat.mtimeNs,
                ctimeNs: stat.ctimeNs,
                sha256: nil,
                observedAt: now
            )
            guard nowNs - stat.lastChangeNs >= settleNs, !busy.contains(relative) else {
                let readyAt = Date(timeIntervalSince1970: Double(stat.lastChangeNs + settleNs) / 1e9)
                files.append(
                    ObservedFile(
                        path: relative,
                        status: .settling,
                        size: stat.size,
                        readyAt: busy.contains(relative) ? nil : readyAt
                    )
                )
                continue
            }
            switch ContentHasher.hash(root + "/" + relative, expected: stat) {
            case .hashed(let sha, _):
                hashedFiles += 1
                hashedBytes += stat.size
                DaemonMetrics.hashedBytes.increment(by: stat.size)
                if let progress, ContinuousClock.now - lastProgress > .seconds(5) {
                    progress(hashedFiles, hashedBytes)
                    lastProgress = ContinuousClock.now
                }
                var saved = observation
                saved.sha256 = sha
                updates.append(saved)
                let previous = cached?.sha256.flatMap { $0 == sha ? nil : $0 }
                files.append(
                    ObservedFile(path: relative, status: .ready, size: stat.size, sha256: sha, previousSHA256: previous)
                )
            case .changed:
                files.append(
                    ObservedFile(
                        path: relative,
                        status: .settling,
                        size: stat.size,
                        readyAt: now.addingTimeInterval(max(Double(settleNs) / 1e9, 0.1))
                    )
                )
            case .unreadable:
                unreadable.append(relative)
            }
        }
        // Paths in the cache that the walk did not see are gone; most walks see them all.
        var removed = unreadable.filter { cache[$0] != nil }
        if cachedSeen - removed.count < cache.count {
            let present = Set(files.map(\.path)).subtracting(unreadable)
            removed = cache.keys.filter { !present.contains($0) }
        }
        return Look(folder: ObservedFolder(files: files, ignoredLinks: links), observations: updates, removed: removed)
    }

    /// The absolute, normalized folder a pipeline watches.
    public static func root(of pipeline: Pipeline, manifestFile: String) -> String {
        let base = PathResolution.directory(of: absolute(manifestFile))
        return PathResolution.resolve(pipeline.spec.watch.path, relativeTo: base)
    }

    /// `path` made absolute against the current folder.
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/")
            ? PathResolution.normalize(path)
            : PathResolution.resolve(path, relativeTo: FileManager.default.currentDirectoryPath)
    }

    /// What a walk found: the regular files its filter accepts, in name order, and the symbolic
    /// links it did not follow (a link could lead out of the folder, or loop).
    struct Walked {
        var files: [(String, FileStat)] = []
        var links = 0
    }

    /// Walks `folder`, whose path relative to the watched root is `relative`. Subfolders are walked
    /// concurrently: the walk is bound by `fstatat` calls, which a second core halves on a large
    /// tree (the kernel's own cost per file is the same as `find`'s).
    static func walk(_ folder: String, relative: String, filter: WatchFilter) -> Walked {
        guard let directory = folder.withSystemPath({ opendir($0) }) else { return Walked() }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var result = Walked()
        // Each subfolder, with the position in `result.files` its own files go to.
        var subfolders: [(position: Int, path: String, relative: String)] = []
        for name in Directory.names(directory).sorted() {
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            guard let stat = FileStat.of(name, in: descriptor) else { continue }
            if stat.isDirectory {
                if filter.descends(into: relativePath) {
                    subfolders.append((result.files.count, folder + "/" + name, relativePath))
                }
            } else if stat.isRegular, filter.accepts(relativePath) {
                result.files.append((relativePath, stat))
            } else if stat.isSymbolicLink, filter.accepts(relativePath) {
                result.links += 1
            }
        }
        guard !subfolders.isEmpty else { return result }
        let walked = Results(count: subfolders.count)
        let toWalk = subfolders
        DispatchQueue.concurrentPerform(iterations: toWalk.count) { index in
            walked.set(index, walk(toWalk[index].path, relative: toWalk[index].relative, filter: filter))
        }
        var merged: [(String, FileStat)] = []
        merged.reserveCapacity(result.files.count + walked.values.reduce(0) { $0 + $1.files.count })
        var next = 0
        for (index, subfolder) in subfolders.enumerated() {
            merged += result.files[next..<subfolder.position]
            next = subfolder.position
            merged += walked.values[index].files
            result.links += walked.values[index].links
        }
        merged += result.files[next...]
        result.files = merged
        return result
    }

    /// The walks of a folder's subfolders, each written once by its own concurrent iteration
    /// and read after all of them returned.
    private final class Results: @unchecked Sendable {
        private(set) var values: [Walked]
        private let lock = NSLock()

        init(count: Int) { values = Array(repeating: Walked(), count: count) }

        func set(_ index: Int, _ value: Walked) { lock.withLock { values[index] = value } }
    }
}
