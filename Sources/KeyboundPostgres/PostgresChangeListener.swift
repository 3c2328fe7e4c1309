import Logging
import PostgresNIO
import Synchronization

/// Keybound's change announcements on PostgreSQL: a writer `NOTIFY`s inside its transaction, so
/// the notice is delivered to every listening node only if, and once, the change commits.
package enum PostgresChangeChannel {
    /// The one channel every node listens on.
    package static let name = "keybound_changes"

    /// Announces `payload` from inside the transaction on `connection`.
    package static func announce(_ payload: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(name), \(payload))", logger: logger)
    }
}

/// Listens on ``PostgresChangeChannel`` for the life of the process, on one connection of the pool.
///
/// A notice is handed to `onChange`. When the connection is lost the listener reconnects (after
/// a pause) and then calls `onReconnect`: notices sent meanwhile are gone, so whoever listens must
/// catch up by reading the stores (by sequence), as after a start.
package final class PostgresChangeListener: Sendable {
    private let database: PostgresBackend
    private let onChange: @Sendable (String) -> Void
    private let onReconnect: @Sendable () -> Void
    private let listening = Mutex(false)
    /// The pause before reconnecting.
    package let retryDelay: Duration

    package init(database: PostgresBackend, retryDelay: Duration = .seconds(1), onChange: @escaping @Sendable (String) -> Void,
                 onReconnect: @escaping @Sendable () -> Void) {
        self.database = database
        self.retryDelay = retryDelay
        self.onChange = onChange
        self.onReconnect = onReconnect
    }

    /// Whether a connection is listening now.
    package var isListening: Bool { listening.withLock { $0 } }

    /// Listens until the calling task is cancelled.
    package func run() async {
        var connected = false
        while !Task.isCancelled {
            do {
                try await database.withLongConnection { connection in
                    try await connection.listen(on: PostgresChangeChannel.name) { notices in
                        self.listening.withLock { $0 = true }
                        if connected { self.onReconnect() }
                        connected = true
                        for try await notice in notices { self.onChange(notice.payload) }
                    }
                }
            } catch {
                database.logger.warning("lost the change notices of the database; reconnecting", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            listening.withLock { $0 = false }
            do { try await Task.sleep(for: retryDelay) } catch { return }
        }
    }
}
