import Foundation
import GRDB
import PostgresNIO

/// Moves an embedded SQLite state into a shared PostgreSQL one, so that a team can grow to
/// several replicas without processing anything again: every table, row for row. A row whose
/// key is already in the target is left as it is, so a second copy adds nothing.
public enum StateCopy {
    /// The tables, in an order that keeps their meaning at every step.
    static let tables = [
        "applied_specs", "ledger", "observations", "content_names", "runs", "file_actions", "stored_pipelines",
        "users", "audit", "server_secrets", "suspensions", "counters",
    ]

    /// How many rows a table had in the source and has in the target after the copy.
    public struct Count: Sendable, Equatable {
        public let table: String
        public let source: Int
        public let target: Int
    }

    public enum CopyError: Error, CustomStringConvertible {
        /// The target holds fewer rows than the source after the copy.
        case shortCopy(Count)

        public var description: String {
            switch self {
            case .shortCopy(let count):
                return "\(count.table): \(count.source) rows in the source, only \(count.target) in the target"
            }
        }
    }

    /// Copies every table; throws when a table of the target ends with fewer rows than the source's.
    public static func copy(from source: SQLiteStateStore, to target: PostgresStateStore) throws -> [Count] {
        var counts: [Count] = []
        for table in tables {
            let rows = try source.database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") }
            let copied = try target.insert(rows, into: table)
            let count = Count(table: table, source: rows.count, target: copied)
            guard count.target >= count.source else { throw CopyError.shortCopy(count) }
            counts.append(count)
        }
        return counts
    }
}

extension PostgresStateStore {
    /// Inserts SQLite rows into `table`, in batches, keeping rows whose key exists; returns the
    /// table's row count afterwards.
    func insert(_ rows: [Row], into table: String) throws -> Int {
        try transaction { session in
            let types = Dictionary(
                uniqueKeysWithValues: try session.query(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = \(table) AND table_schema = current_schema()"
                ).map { try $0.decode((String, String).self) }
            )
            if let first = rows.first {
                let columns = Array(first.columnNames)
                let perStatement = max(1, 30_000 / columns.count)
                let names = columns.map(Self.identifier).joined(separator: ", ")
                for start in stride(from: 0, to: rows.count, by: perStatement) {
                    let batch = rows[start..<min(rows.count, start + perStatement)]
                    var binds = PostgresBindings(capacity: batch.count * columns.count)
                    var tuples: [String] = []
                    for row in batch {
                        var placeholders: [String] = []
                        for column in columns {
                            try Self.bind(row[column] as DatabaseValue, as: types[column], into: &binds)
                            placeholders.append("$\(binds.count)")
                        }
                        tuples.append("(" + placeholders.joined(separator: ", ") + ")")
                    }
                    try session.query(
                        PostgresQuery(
                            unsafeSQL: "INSERT INTO \(Self.identifier(table)) (\(names)) VALUES "
                                + tuples.joined(separator: ", ") + " ON CONFLICT DO NOTHING",
                            binds: binds
                        )
                    )
                }
                if table == "audit" {
                    try session.query(
                        "SELECT setval(pg_get_serial_sequence('audit', 'id'), (SELECT MAX(id) FROM audit))"
                    )
                }
            }
            return try session.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(Self.identifier(table))")).first?
                .decode(Int.self) ?? 0
        }
    }

    /// A SQLite value as the target column's type wants it (SQLite's integers for booleans).
    private static func bind(_ value: DatabaseValue, as type: String?, into binds: inout PostgresBindings) throws {
        switch value.storage {
        case .null: binds.appendNull()
        case .int64(let number):
            if type == "boolean" {
                binds.append(number != 0)
            } else if type == "double precision" {
                binds.append(Double(number))
            } else {
                binds.append(Int(number))
            }
        case .double(let number):
            if type == "bigint" { binds.append(Int(number)) } else { binds.append(number) }
        case .string(let text): binds.append(text)
        case .blob(let data): binds.append(String(decoding: data, as: UTF8.self))
        }
    }
}
