import Foundation
import KeyboundPostgres
import PostgresNIO
import Synchronization

/// The key store on PostgreSQL, shared by every node of a deployment.
///
/// A write transaction first takes the key store's transaction advisory lock, so writers on every
/// node run one at a time, as `BEGIN IMMEDIATE` makes them on SQLite: a transaction that re-reads
/// the keys and then rotates them never interleaves with another. Key events are a
/// ``CommitOrderedLog``: their sequence numbers follow commit order, so a node that resumes a key
/// event stream after sequence N never misses a later commit with a smaller number. A read runs
/// in one `REPEATABLE READ` snapshot.
///
/// The backend's pool must be running (``PostgresBackend/run()``) while the store is used.
package final class PostgresKeyStore: KeyStore {
    /// The advisory lock every key-store write transaction takes first ("KB" 0x0100).
    package static let writeLock: Int64 = 0x4B42_0000_0000_0100
    /// The key-event log.
    package static let eventLog = CommitOrderedLog(table: "key_event", lockKey: 0x4B42_0000_0000_0101)

    /// The database.
    package let database: PostgresBackend
    private let recorder = KeyStoreCommits()
    /// Told after every committed write transaction of this instance.
    package var commits: StoreObservers<Void> { recorder.observers }

    /// The key store in `database`, whose schema ``KeyboundPostgresSchema/migrate(_:)`` has brought up to date.
    package init(database: PostgresBackend) {
        self.database = database
    }

    /// Runs `body` in one read-only snapshot.
    package func read<T: Sendable>(_ body: (any KeyStoreSession) async throws -> T) async throws -> T {
        let logger = database.logger
        return try await Self.storageCall {
            try await database.withReadTransaction { connection in
                try await body(PostgresKeySession(connection: connection, logger: logger)) as T
            }
        }
    }

    /// Runs `body` in one transaction, after every other node's key-store writer has finished.
    /// The write counter moves and the commit observers are told as on SQLite.
    package func write<T: Sendable>(_ body: (any KeyStoreSession) async throws -> T) async throws -> T {
        let logger = database.logger
        return try await recorder.recording {
            try await Self.storageCall {
                try await database.withTransaction { connection in
                    // READ COMMITTED whatever the server's default: each statement after the lock
                    // must see what the previous writer committed while this one waited.
                    try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
                    let result = try await body(PostgresKeySession(connection: connection, logger: logger)) as T
                    // Every node's key caches and key-event streams wake when this commits.
                    try await PostgresChangeChannel.announce(PostgresStoreChange.keys.payload, connection, logger: logger)
                    return result
                }
            }
        }
    }

    /// Write transactions attempted through this instance (committed or not).
    package var localWriteCount: Int { recorder.count }

    /// A store error passes as it is; a database error becomes ``StoreError/Code/storage`` with the
    /// server's message (a constraint's or trigger's words, never a bound value), and so does any
    /// other failure to reach the database. Cancellation stays cancellation.
    static func storageCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError {
            throw StoreError(.storage, "the database refused: \(error.serverInfo?[.message] ?? "\(error.code)")")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The pool's own errors (no connection could be made, its circuit breaker is open):
            // the database is unreachable, which callers answer with 503, never 500.
            throw StoreError(.storage, "the database cannot be reached: \(String(reflecting: type(of: error)))")
        }
    }
}
