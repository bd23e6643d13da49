import Foundation

/// Where a PostgreSQL state lives: `postgres://USER@HOST:PORT/DB?sslmode=disable|require`, with
/// `&schema=NAME` to keep several installations in one database (default: `public`). The
/// password never comes from the URL (it would show in `ps` and shell histories): it is read
/// from `PGPASSWORD`, or from the file named by `PGPASSFILE_ORCHESTRATOR`.
public struct PostgresConnectionInfo: Sendable, Equatable {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var requireTLS: Bool
    /// The schema of the tables, when not the default one.
    public var schema: String?

    /// Why a state URL was refused.
    public enum URLError: Error, Equatable, CustomStringConvertible {
        case notPostgres(String)
        case passwordInURL
        case missing(String)
        case badSSLMode(String)

        public var description: String {
            switch self {
            case .notPostgres(let url): return "\(url): not a postgres:// URL"
            case .passwordInURL:
                return "the state URL holds a password; give it in PGPASSWORD or a file (PGPASSFILE_ORCHESTRATOR)"
            case .missing(let part): return "the state URL has no \(part) (postgres://USER@HOST:PORT/DB)"
            case .badSSLMode(let mode): return "sslmode=\(mode): use disable or require"
            }
        }
    }

    /// Whether `state` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgres(_ state: String) -> Bool {
        state.hasPrefix("postgres://") || state.hasPrefix("postgresql://")
    }

    public init(url text: String) throws(URLError) {
        guard Self.isPostgres(text), let url = URLComponents(string: text) else { throw .notPostgres(text) }
        if url.password != nil { throw .passwordInURL }
        guard let user = url.user, !user.isEmpty else { throw .missing("user") }
        guard let host = url.host, !host.isEmpty else { throw .missing("host") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw .missing("database") }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "require"
        guard mode == "disable" || mode == "require" else { throw .badSSLMode(mode) }
        self.user = user
        self.host = host
        self.port = url.port ?? 5432
        self.database = database
        requireTLS = mode == "require"
        schema = url.queryItems?.first { $0.name == "schema" }?.value.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The password from the environment (`PGPASSWORD`) or the file it names.
    public static func password(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let password = environment["PGPASSWORD"] { return password }
        guard let file = environment["PGPASSFILE_ORCHESTRATOR"],
            let text = try? String(contentsOfFile: file, encoding: .utf8)
        else { return nil }
        return text.split(separator: "\n").first.map(String.init)
    }
}
