import ArgumentParser
import Foundation
import Reconciler

/// `orchestrator state copy --from sqlite:PATH --to postgres://…`.
struct StateCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an embedded SQLite state into PostgreSQL, to grow to several replicas without reprocessing.",
        discussion: """
            Every table is copied: the ledger, runs, the stat cache, owed file actions, applied specs, \
            database pipelines, users, the audit. Rows already in the target are kept, so the copy can \
            be run again; it is verified by counting each table on both sides. Stop the daemons that \
            use the source first. Exit codes: 0 copied and verified; 1 error; 64 bad usage.
            """
    )

    @Option(help: "The source: sqlite:PATH (or a plain path) of a state database.")
    var from: String

    @Option(help: "The target: postgres://USER@HOST:PORT/DB?sslmode=… (password from PGPASSWORD).")
    var to: String

    func run() throws {
        let path = from.hasPrefix("sqlite:") ? String(from.dropFirst("sqlite:".count)) : from
        guard FileManager.default.fileExists(atPath: path) else {
            Terminal.err("\(path): error: no such state database")
            throw ExitCode.failure
        }
        let info: PostgresConnectionInfo
        do { info = try PostgresConnectionInfo(url: to) } catch {
            Terminal.err("error: \(error)")
            throw ExitCode(64)
        }
        do {
            let source = try SQLiteStateStore(path: path)
            let target = try PostgresStateStore(info: info, password: PostgresConnectionInfo.password())
            for count in try StateCopy.copy(from: source, to: target) {
                Terminal.out("\(count.table): \(count.source) rows in the source, \(count.target) in the target")
            }
            Terminal.out("copied and verified.")
        } catch {
            Terminal.err("error: cannot copy the state: \(String(reflecting: error))")
            throw ExitCode.failure
        }
    }
}
