import Foundation
package import KeyboundPostgres
import Logging

/// Every store Keybound keeps on one PostgreSQL database, opened by a server node: one pool,
/// shared by the key store and the provider store.
package struct PostgresStores: Sendable {
    /// The database and its pool.
    package let database: PostgresBackend
    /// Issuers, keys and key events.
    package let keys: PostgresKeyStore
    /// Clients, users, resources, grants and the issuance ledger.
    package let provider: PostgresProviderStore
    /// Which node runs the rotation engine.
    package var rotationLeadership: PostgresRotationLeadership { PostgresRotationLeadership(database: database) }

    /// Connects to `settings` (the password from `environment`), starts the pool for the rest of
    /// the process, and brings the schema up to date (one node at a time; a newer schema is refused).
    /// Servers and command-line tools alike open the database here (a tool with a small pool;
    /// a server with the URL's `pool_size`, else ``PostgresBackend/defaultMaximumConnections``).
    package static func open(_ settings: PostgresConnectionSettings, environment: [String: String], logger: Logger,
                             maximumConnections: Int? = nil) async throws(StoreError) -> PostgresStores {
        let database: PostgresBackend
        do {
            database = try PostgresBackend(settings: settings, environment: environment, logger: logger,
                                           maximumConnections: maximumConnections)
        } catch {
            throw StoreError(.storage, error.message)
        }
        Task.detached { await database.run() }
        do { try await database.checkReachable() } catch { throw StoreError(.storage, error.message) }
        try await KeyboundPostgresSchema.migrate(database)
        return PostgresStores(database: database, keys: PostgresKeyStore(database: database),
                              provider: PostgresProviderStore(database: database))
    }

    /// Listens for every node's change notices for the rest of the process: `onChange` gets each
    /// change, or `nil` when anything may have changed (a notice this build does not know, or a
    /// reconnection after which notices may have been lost).
    package func listen(_ onChange: @escaping @Sendable (PostgresStoreChange?) -> Void) {
        let listener = PostgresChangeListener(database: database, onChange: { payload in onChange(PostgresStoreChange(payload: payload)) },
                                              onReconnect: { onChange(nil) })
        Task.detached { await listener.run() }
    }
}
