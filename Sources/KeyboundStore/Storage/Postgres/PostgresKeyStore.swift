import Foundation
package import KeyboundPostgres
internal import PostgresNIO
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
    package func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
        let logger = database.logger
        return try await Self.storageCall {
            try await database.withReadTransaction { connection in
                try await body(PostgresKeySession(connection: connection, logger: logger)) as T
            }
        }
    }

    /// Runs `body` in one transaction, after every other node's key-store writer has finished.
    /// The write counter moves and the commit observers are told as on SQLite.
    package func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws -> T {
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

    /// Every error as ``PostgresProviderStore/storeError(_:conflict:)`` makes it (so a database
    /// that cannot be reached is `storage_error`, answered with 503, never 500); cancellation stays
    /// cancellation.
    static func storageCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PostgresProviderStore.storeError(error)
        }
    }
}
