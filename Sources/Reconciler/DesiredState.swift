import Model

/// The desired state from both of its sources: the manifests folder (git) and the pipelines
/// stored in the state database, checked together as one set (a name declared by both is an
/// error on both).
public enum DesiredState {
    /// Loads the folder, then the database pipelines when a store is given. A database that
    /// cannot be read throws rather than returning the folder alone: its pipelines would look
    /// deleted.
    public static func load(_ folder: String, database: (any ConsoleStore)?) throws -> ManifestSet {
        let git = try ManifestDirectory.load(folder)
        guard let database else { return git }
        let stored = try database.storedPipelines()
        return ManifestSet(
            documents: git.documents + stored.flatMap { $0.documents() },
            fileDiagnostics: git.fileDiagnostics
        )
    }
}
