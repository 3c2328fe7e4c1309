import Foundation
import KeyboundPostgres
import Logging

extension PostgresKeyStore {
    /// Opens the key store in the database at `settings` for a command-line tool: connects, brings
    /// the schema up to date (or refuses a newer one) and returns the store. Its pool runs until the
    /// process ends, which for a command is when the command is done.
    package static func openForCommand(_ settings: PostgresConnectionSettings, environment: [String: String],
                                       logger: Logger) async throws(StoreError) -> PostgresKeyStore {
        let database: PostgresBackend
        do {
            database = try PostgresBackend(settings: settings, environment: environment, logger: logger, maximumConnections: 2)
        } catch {
            throw StoreError(.storage, error.message)
        }
        Task.detached { await database.run() }
        try await KeyboundPostgresSchema.migrate(database)
        return PostgresKeyStore(database: database)
    }
}
