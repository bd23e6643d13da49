import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// Notifications between the processes that share a PostgreSQL state: `pg_notify` inside the
/// transaction that made the change (delivered on commit, never for a rollback), and a
/// connection of its own per listening process, `LISTEN`ing on the schema's channel.
extension PostgresStateStore: StateNotifying {
    /// One channel per schema: stores in other schemas of the same database never hear it.
    var channel: String { "orchestrator." + (schema ?? "public") }

    /// A notice and who sent it, as the payload carries them.
    struct Envelope: Codable {
        var from: String
        var notice: StateNotice
    }

    /// Announces `notice` when the transaction of `session` commits.
    func notify(_ session: Session, _ notice: StateNotice) throws {
        try session.query("SELECT pg_notify(\(channel), \(try payload(notice)))")
    }

    /// The payload of `notice`, for a statement that sends it with other work. A payload too
    /// large for PostgreSQL (8,000 bytes) drops the paths of a `seen`: the receiver then looks at
    /// the folder.
    func payload(_ notice: StateNotice) throws -> String {
        var envelope = Envelope(from: instance, notice: notice)
        var payload = String(decoding: try JSONEncoder().encode(envelope), as: UTF8.self)
        if payload.utf8.count > 7_900, case .seen(let pipeline, _) = notice {
            envelope.notice = .seen(pipeline: pipeline, paths: [])
            payload = String(decoding: try JSONEncoder().encode(envelope), as: UTF8.self)
        }
        return payload
    }

    public func notices() -> AsyncStream<StateNotice> {
        let (stream, continuation) = AsyncStream.makeStream(of: StateNotice.self)
        let task = Task { [self] in
            var delay = Duration.milliseconds(500)
            var first = true
            while !Task.isCancelled {
                do {
                    try await listen { notice in
                        delay = .milliseconds(500)
                        continuation.yield(notice)
                    } onListening: {
                        logger.info("listening for other processes' notices", metadata: ["channel": "\(channel)"])
                        if !first { continuation.yield(.resumed) }
                        first = false
                    }
                } catch {
                    guard !Task.isCancelled else { break }
                    logger.warning("state notifications interrupted; reconnecting", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Opens a connection, listens, and hands over the notices of other processes until the
    /// connection ends or the task is cancelled.
    private func listen(
        _ handle: (StateNotice) -> Void,
        onListening: () -> Void
    ) async throws {
        let connection = try await PostgresConnection.connect(
            on: group.next(),
            configuration: try connectionConfiguration(),
            id: 2,
            logger: logger
        )
        do {
            try await connection.listen(on: channel) { notifications in
                onListening()
                for try await notification in notifications {
                    guard
                        let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(notification.payload.utf8)),
                        envelope.from != instance
                    else { continue }
                    handle(envelope.notice)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}
