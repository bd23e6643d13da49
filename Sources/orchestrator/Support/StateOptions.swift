import ArgumentParser
import Model
import Reconciler

/// The options every stateful command shares: where the manifests and the state are.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: "The folder of pipeline manifests.")
    var pipelines = "pipelines"

    @Option(
        name: .long,
        help: """
            The state: a SQLite file (default: .orchestrator/state.db beside the pipelines folder), or a shared \
            PostgreSQL database, postgres://USER@HOST:PORT/DB?sslmode=require|disable (the password from \
            PGPASSWORD, or the file PGPASSFILE_ORCHESTRATOR names; never in the URL).
            """
    )
    var state: String?

    @Flag(
        help:
            "Start a new state when the state database exists but is empty (refused otherwise: a truncated state would make every file run again)."
    )
    var initState = false

    var statePath: String { state ?? StateLocation.defaultPath(forPipelines: pipelines) }

    /// The folder for what stays on this host (run logs): beside the SQLite file, or beside the
    /// pipelines folder when the state is shared in PostgreSQL.
    var localDirectory: String {
        let file =
            PostgresConnectionInfo.isPostgres(statePath)
            ? StateLocation.defaultPath(forPipelines: pipelines) : statePath
        return PathResolution.directory(of: Observer.absolute(file))
    }

    /// Opens the state store, SQLite or PostgreSQL, or exits with a clear message.
    func openStore() throws -> any StateStore & ConsoleStore {
        do {
            if PostgresConnectionInfo.isPostgres(statePath) {
                return try PostgresStateStore(
                    info: try PostgresConnectionInfo(url: statePath),
                    password: PostgresConnectionInfo.password(),
                    statCache: try SQLiteStateStore(path: localDirectory + "/stat-cache.db", initialize: true)
                )
            }
            return try SQLiteStateStore(path: statePath, initialize: initState)
        } catch let error as StateStoreError {
            Terminal.err("\(statePath): error: \(error)")
            throw ExitCode.failure
        } catch let error as PostgresConnectionInfo.URLError {
            Terminal.err("error: \(error)")
            throw ExitCode(64)
        } catch {
            Terminal.err(
                "\(statePath.terminalSafe): error: cannot open the state database: \(String(reflecting: error))"
            )
            throw ExitCode.failure
        }
    }

    /// Loads the manifests of both sources (the folder, and the database pipelines of `store`),
    /// or exits with a clear message when either cannot be read.
    func loadManifests(database store: (any ConsoleStore)?) throws -> ManifestSet {
        do {
            return try DesiredState.load(pipelines, database: store)
        } catch let error as ManifestDirectory.LoadError {
            Terminal.err(error.description)
            throw ExitCode.failure
        } catch {
            Terminal.err("\(statePath): error: cannot read the database pipelines: \(error)")
            throw ExitCode.failure
        }
    }

    /// What identifies the state in a saved plan: the SQLite file's absolute path, or the
    /// PostgreSQL URL (which never holds a password).
    var identity: String {
        PostgresConnectionInfo.isPostgres(statePath) ? statePath : Observer.absolute(statePath)
    }
}
