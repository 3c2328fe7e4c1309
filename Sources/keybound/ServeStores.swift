import Foundation
import KeyboundServer
import KeyboundStore
import Logging

/// The stores `keybound serve` runs on, opened from the one storage setting.
struct ServeStores {
    /// Issuers and keys.
    let manager: KeyManager
    /// Clients, users, grants and the issuance ledger.
    let provider: any ProviderStore
    /// The SQLite data directory, where `--with-mail` keeps Keybound Mail; `nil` on PostgreSQL.
    let directory: URL?
    /// Where the stores are, for the listening line (a PostgreSQL password is never shown).
    let description: String
    /// The PostgreSQL stores, whose change notices the node follows; `nil` on SQLite.
    let postgres: PostgresStores?

    /// Opens the stores at `location`. SQLite may use a development KEK beside the files when
    /// `allowDevelopmentKEK`; PostgreSQL always needs a configured KEK, the same on every node.
    static func open(_ location: DatabaseLocation, allowDevelopmentKEK: Bool) async throws(CLIError) -> ServeStores {
        switch location {
        case .sqlite(let directory):
            var options: StoreOptions
            do { options = try StoreOptions.parse(["--database", location.description]) } catch { throw CLIError("\(error)") }
            options.json = false
            let manager = try await options.openManager(allowDevelopmentKEK: allowDevelopmentKEK)
            let provider = try storeCall { () throws(StoreError) in try SQLiteProviderStore(directory: directory) }
            return ServeStores(manager: manager, provider: provider, directory: directory, description: directory.path, postgres: nil)
        case .postgres(let settings):
            let environment = ProcessInfo.processInfo.environment
            let custodian = try await KeyCustodySource.custodian(environment: environment)
            let kek = try await TokenKEKSource.kekForDatabase(environment: environment)
            let opened = await Result { () async throws(StoreError) -> (PostgresStores, KeyManager) in
                let stores = try await PostgresStores.open(settings, environment: environment, logger: Logger(label: "keybound.database"))
                return (stores, try await KeyManager(store: stores.keys, kek: kek, custodian: custodian))
            }
            switch opened {
            case .success(let (stores, manager)):
                return ServeStores(manager: manager, provider: stores.provider, directory: nil, description: settings.description,
                                   postgres: stores)
            case .failure(let error):
                throw CLIError(error)
            }
        }
    }
}

extension Result where Failure == StoreError {
    /// The outcome of an async store call.
    init(_ body: () async throws(StoreError) -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
