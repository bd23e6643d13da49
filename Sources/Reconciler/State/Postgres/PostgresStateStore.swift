import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The shared state store: the same contract as the embedded SQLite one (see
/// `StateStoreContractTests`), in PostgreSQL, for several orchestrators on several hosts.
///
/// The store's API is synchronous, as SQLite's is; each call waits for its query on a
/// connection driven by an event loop of the store's own. Callers are never on that loop: the
/// daemon's controller and blocking work run on threads of their own. Calls are serialized on
/// the one connection, so a transaction (`BEGIN` … `COMMIT`) is never interleaved with another
/// call; a lost connection is opened again at the next call.
public final class PostgresStateStore: @unchecked Sendable {
    let info: PostgresConnectionInfo
    private let password: String?
    /// The schema the tables live in (`public` unless given): tests give each store its own.
    let schema: String?
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// This store's own name in notifications, so that it ignores its own.
    let instance = UUID().uuidString
    private let lock = NSLock()
    private var connection: PostgresConnection?
    /// When to try connecting again after a failure: attempts back
    /// off from 0.5 s to 10 s while it is down, so that a daemon's looks do not hammer it.
    private var retryAt = Date.distantPast
    private var retryDelay: TimeInterval = 0.5
    /// Read by `/readyz` without waiting for a call under way: a lock of its own.
    private let availability = NSLock()
    private var available = true
    let logger = Logger(label: "orchestrator.postgres")

    /// The stat cache of this host, when it is kept here rather than in the database. On shared
    /// storage (NFS, SMB) each host sees its own device numbers and polls on its own: a cache
    /// shared by replicas would match on none of them and be rewritten by each in turn. The
    /// ledger, keyed by content, stays the shared identity.
    let statCache: SQLiteStateStore?

    /// How long a statement may go unanswered before its connection is given up.
    let unansweredLimit: TimeAmount

    /// Connects and migrates. Migrations run under an advisory lock, so that replicas starting
    /// together migrate once.
    ///
    /// A server that vanished without closing the connection (a host lost, a network
    /// partition) would hold a call, and every call behind it, until TCP gives up, which takes
    /// many minutes: after `unansweredLimit` the connection is closed, the call fails, the store
    /// reports itself unreachable and connects again. No statement of the store waits for
    /// others longer than a claim's lock, held for a few statements.
    public init(
        info: PostgresConnectionInfo,
        password: String?,
        schema: String? = nil,
        statCache: SQLiteStateStore? = nil,
        unansweredLimit: Duration = .seconds(30)
    ) throws {
        self.info = info
        self.unansweredLimit = TimeAmount(unansweredLimit)
        self.statCache = statCache
        self.password = password
        self.schema = schema ?? info.schema
        try withSession { session in try PostgresMigrations.migrate(session) }
    }

    deinit {
        _ = try? connection?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// One caller's exclusive use of the connection.
    struct Session {
        let connection: PostgresConnection
        let logger: Logger

        /// How long a statement may go unanswered before the connection is given up (see
        /// `PostgresStateStore.init`).
        let unansweredLimit: TimeAmount

        /// Runs `query`, waiting up to the unanswered limit, or as long as it takes when
        /// `waitingLong` (a migration, or another replica's).
        @discardableResult
        func query(_ query: PostgresQuery, waitingLong: Bool = false) throws -> [PostgresRow] {
            let answer = connection.query(query, logger: logger)
            let giveUp =
                waitingLong
                ? nil
                : connection.eventLoop.scheduleTask(in: unansweredLimit) { [connection] in
                    _ = connection.close() as EventLoopFuture<Void>
                }
            defer { giveUp?.cancel() }
            return Array(try answer.wait().rows)
        }

        /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
        func transaction<T>(_ body: () throws -> T) throws -> T {
            try query("BEGIN")
            do {
                let value = try body()
                try query("COMMIT")
                return value
            } catch {
                _ = try? query("ROLLBACK")
                throw error
            }
        }
    }

    @discardableResult
    func withSession<T>(_ body: (Session) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let connection: PostgresConnection
        do { connection = try openConnection() } catch let error as Unreachable {
            // Not tried: the last attempt failed a moment ago; the backoff stands.
            throw error
        } catch {
            noteFailure()
            throw error
        }
        do {
            let value = try body(Session(connection: connection, logger: logger, unansweredLimit: unansweredLimit))
            noteSuccess()
            return value
        } catch {
            // A refusal by the server (a constraint, a bad query) is an answer; anything else
            // from the driver means the connection is gone: open a new one next time.
            // A server shutting down answers too (SQLSTATE class 57, operator intervention; 08,
            // connection exception): that connection is gone all the same.
            let answered =
                (error as? PSQLError).map { error in
                    let state = error.serverInfo?[.sqlState] ?? ""
                    return error.code == .server && !state.hasPrefix("57") && !state.hasPrefix("08")
                } ?? true
            if connection.isClosed || !answered {
                _ = connection.close() as EventLoopFuture<Void>
                self.connection = nil
                noteFailure()
            }
            throw error
        }
    }

    /// Whether the server answered the last call.
    public var isAvailable: Bool { availability.withLock { available } }

    private func noteFailure() {
        if availability.withLock({ available }) {
            logger.error("the state database is unreachable; retrying", metadata: ["host": "\(info.host)"])
        }
        availability.withLock { available = false }
        retryAt = Date().addingTimeInterval(retryDelay)
        retryDelay = min(retryDelay * 2, 10)
    }

    private func noteSuccess() {
        if !availability.withLock({ available }) {
            logger.notice("the state database answers again", metadata: ["host": "\(info.host)"])
        }
        availability.withLock { available = true }
        retryDelay = 0.5
    }

    @discardableResult
    func transaction<T>(_ body: (Session) throws -> T) throws -> T {
        try withSession { session in try session.transaction { try body(session) } }
    }

    /// Why a call failed without trying: the server did not answer a moment ago.
    public struct Unreachable: Error, CustomStringConvertible {
        public var description: String { "the state database is unreachable (retrying)" }
    }

    private func openConnection() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        guard Date() >= retryAt else { throw Unreachable() }
        let opened = try PostgresConnection.connect(
            on: group.next(),
            configuration: try connectionConfiguration(),
            id: 1,
            logger: logger
        ).wait()
        if let schema {
            let session = Session(connection: opened, logger: logger, unansweredLimit: unansweredLimit)
            do {
                try session.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(Self.identifier(schema))"))
            } catch let error as PSQLError where ["23505", "42P06"].contains(error.serverInfo?[.sqlState]) {
                // Another replica created it at the same moment: IF NOT EXISTS is not atomic.
            }
            try session.query(PostgresQuery(unsafeSQL: "SET search_path TO \(Self.identifier(schema))"))
        }
        connection = opened
        return opened
    }

    /// How to reach the server: the calls' connection and the notifications' use it alike.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            info.requireTLS
            ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        return PostgresConnection.Configuration(
            host: info.host,
            port: info.port,
            username: info.user,
            password: password,
            database: info.database,
            tls: tls
        )
    }

    /// The migrations applied, in order: what a replica found or did at start.
    public func appliedMigrations() throws -> [String] {
        try withSession { session in
            try session.query("SELECT name FROM schema_migrations ORDER BY applied_at, name").map {
                try $0.decode(String.self)
            }
        }
    }

    /// Drops the store's schema and everything in it (tests clean up after themselves).
    public func dropSchema() throws {
        guard let schema else { return }
        try withSession { try $0.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(Self.identifier(schema)) CASCADE")) }
    }

    /// A quoted SQL identifier.
    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

extension PostgresRandomAccessRow {
    func string(_ name: String) throws -> String { try self[name].decode(String.self) }
    func optionalString(_ name: String) throws -> String? { try self[name].decode(String?.self) }
    func int(_ name: String) throws -> Int { try self[name].decode(Int.self) }
    func optionalInt(_ name: String) throws -> Int? { try self[name].decode(Int?.self) }
    func date(_ name: String) throws -> Date { Date(timeIntervalSince1970: try self[name].decode(Double.self)) }
    func optionalDate(_ name: String) throws -> Date? {
        try self[name].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
    }
}
