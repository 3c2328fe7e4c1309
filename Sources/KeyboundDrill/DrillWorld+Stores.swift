import Foundation
import Keybound
import KeyboundIncident
import KeyboundPostgres
import KeyboundStore
import Logging

extension DrillWorld {
    /// The provider's stores for the drill: the data directory's files, or an empty PostgreSQL
    /// database (`demo storm-0558 --database postgres://…`).
    struct Stores {
        let manager: KeyManager
        let ledger: any ProviderStore
        let incidents: any IncidentStore
        let postgres: PostgresStores?
        let description: String

        static func open(directory: URL, database: PostgresConnectionSettings?, environment: [String: String],
                         custodian: (any KeyGeneratingCustodian)?, logger: Logger) async throws -> Stores {
            guard let database else {
                // A development KEK file in the data directory, as `keybound serve` makes one: with --keep, the
                // other commands (`keybound keys list --data DIR`, `incident show`, `hunt`) open the store afterwards.
                let kek = try KEKSource.resolve(environment: [:], dataDirectory: directory, storeHasSealedKeys: false, warn: { _ in })
                return Stores(manager: try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: kek, custodian: custodian),
                              ledger: try SQLiteProviderStore(directory: directory), incidents: FolderIncidentStore(dataDirectory: directory),
                              postgres: nil, description: directory.path)
            }
            // As every command on a database: the KEK must be configured (every node would need it).
            let kek: KeyEncryptionKey
            do { kek = try KEKSource.resolveForDatabase(environment: environment) } catch { throw StormDrillError(error.message) }
            let postgres = try await PostgresStores.open(database, environment: environment, logger: logger)
            let issuers = try await postgres.keys.read { session in try await session.issuers() }
            guard issuers.isEmpty else {
                throw StormDrillError("the drill needs an empty database: \(database) has issuers already (\(issuers.map(\.id).prefix(3).joined(separator: ", ")))")
            }
            return Stores(manager: try await KeyManager(store: postgres.keys, kek: kek, custodian: custodian), ledger: postgres.provider,
                          incidents: try await PostgresIncidentStore.open(database: postgres.database), postgres: postgres,
                          description: database.description)
        }
    }
}
