/// Where a pipeline's manifest lives: a file of the GitOps folder, or the state database (made
/// through the console or `orchestrator pipelines import`). One model, two ways in; a name may
/// be declared by one source only.
public enum ManifestSource: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case git
    case database

    /// What a database manifest is called where a file name would be shown (diagnostics, plans,
    /// the applied spec's `file`): `db:NAME`. No path of the pipelines folder looks like it.
    public static func databaseLabel(_ name: String) -> String { labelPrefix + name }

    static let labelPrefix = "db:"

    /// The source of a manifest from the label it goes by.
    public init(file: String) { self = file.hasPrefix(Self.labelPrefix) ? .database : .git }

    public var description: String { rawValue }
}
