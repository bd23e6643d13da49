import Crypto
import Foundation
import Model

/// The desired state from both of its sources: the manifests folder (git) and the pipelines
/// stored in the state database, checked together as one set (a name declared by both is an
/// error on both).
public enum DesiredState {
    /// Loads the folder, then the database pipelines when a store is given, and applies the
    /// suspensions made from the console (to pipelines of either source). A database that
    /// cannot be read throws rather than returning the folder alone: its pipelines would look
    /// deleted.
    public static func load(_ folder: String, database: (any ConsoleStore)?) throws -> ManifestSet {
        let git = try ManifestDirectory.load(folder)
        guard let database else { return git }
        let stored = try database.storedPipelines()
        let suspended = try database.suspensions()
        var documents = git.documents + stored.flatMap { $0.documents() }
        var sources = git.sources
        for pipeline in stored { sources[pipeline.label] = SHA256.hash(data: Data(pipeline.text.utf8)).hex }
        for index in documents.indices where documents[index].name.map({ suspended[$0] != nil }) ?? false {
            documents[index].pipeline?.spec.suspend = true
        }
        return ManifestSet(
            documents: documents,
            fileDiagnostics: git.fileDiagnostics,
            sources: sources,
            suspended: Set(suspended.keys)
        )
    }
}
