import ArgumentParser
import Foundation
import Keybound
import KeyboundPostgres
import KeyboundStore
import Logging

/// Options shared by every command that works on the key store.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory: short for --database sqlite:DIR (default: $KEYBOUND_DATA or ./keybound-data).")
    var dataDirectory: String?

    @Option(name: .customLong("database"), help: "Where the stores live: sqlite:DIR (default: $KEYBOUND_DATABASE, else as --data).")
    var database: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(name: .customLong("now"), help: ArgumentHelp("Act as of this UNIX time (drills and tests).", visibility: .hidden))
    var nowOverride: Double?

    @Option(help: "Who is acting, for the key event log.")
    var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "admin"

    func validate() throws {
        if let nowOverride { try CLIInput.validateUnixTime(nowOverride, option: "--now") }
        do { _ = try location() } catch { throw ValidationError(error.message) }
    }

    /// Where the stores are (``DatabaseLocation``).
    func location() throws(CLIError) -> DatabaseLocation {
        try KeyboundCLI.location(database: database, data: dataDirectory)
    }

    /// The SQLite directory the stores live in, for the commands whose stores run on SQLite only
    /// (`mail serve`, the drill): a PostgreSQL location is refused with one line.
    func sqliteDirectory() throws(CLIError) -> URL {
        try KeyboundCLI.sqliteDirectory(database: database, data: dataDirectory)
    }

    var now: Date { nowOverride.map { Date(timeIntervalSince1970: $0) } ?? Date() }

    /// Opens the key store and the key manager, resolving the key-encryption key: from SQLite files
    /// (with a development KEK beside them unless `allowDevelopmentKEK` is false, when the KEK must
    /// be configured and live outside the data directory, checked before the store is opened or
    /// created), or from PostgreSQL (where the KEK must always be configured).
    func openManager(allowDevelopmentKEK: Bool = true) async throws(CLIError) -> KeyManager {
        try await openKeyStores(allowDevelopmentKEK: allowDevelopmentKEK).manager
    }

    /// The key manager and the provider store, on one pool on PostgreSQL.
    func openManagerAndProviderStore() async throws(CLIError) -> (KeyManager, any ProviderStore) {
        let (manager, postgres) = try await openKeyStores(allowDevelopmentKEK: true)
        if let postgres { return (manager, postgres.provider) }
        return (manager, try await openProviderStore())
    }

    /// As ``openManager(allowDevelopmentKEK:)``, with the PostgreSQL stores it opened (`nil` on SQLite).
    func openKeyStores(allowDevelopmentKEK: Bool) async throws(CLIError) -> (manager: KeyManager, postgres: PostgresStores?) {
        let environment = ProcessInfo.processInfo.environment
        do {
            switch try location() {
            case .postgres(let settings):
                let kek = try await TokenKEKSource.kekForDatabase(environment: environment)
                let stores = try await KeyboundCLI.openDatabase(settings)
                return (try await KeyManager(store: stores.keys, kek: kek, custodian: try await KeyCustodySource.custodian()), stores)
            case .sqlite(let directory):
                if let kek = try await TokenKEKSource.kek(environment: environment) {
                    let store = try SQLiteKeyStore(directory: directory)
                    return (try await KeyManager(store: store, kek: kek, custodian: try await KeyCustodySource.custodian()), nil)
                }
                if !allowDevelopmentKEK {
                    _ = try KEKSource.resolve(environment: environment, dataDirectory: directory,
                                              storeHasSealedKeys: true, allowDevelopmentKEK: false, warn: { _ in })
                }
                let store = try SQLiteKeyStore(directory: directory)
                let kek = try KEKSource.resolve(
                    environment: environment, dataDirectory: directory,
                    storeHasSealedKeys: try await KeyManager.storeHasSealedKeys(store), allowDevelopmentKEK: allowDevelopmentKEK
                ) { warning in
                    FileHandle.standardError.write(Data("keybound: warning: \(warning)\n".utf8))
                }
                return (try await KeyManager(store: store, kek: kek, custodian: try await KeyCustodySource.custodian()), nil)
            }
        } catch let error as CLIError {
            throw error
        } catch let error as StoreError {
            throw CLIError(error.description)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// The storage setting from `--database`, `--data`, then the environment (``DatabaseLocation``),
/// for every command; a namespace, so option groups can name it without shadowing.
enum KeyboundCLI {
    /// The database at `settings` as a command-line tool opens it: a pool of 2, the password from
    /// the environment, the schema brought up to date (a newer one refused), the tool's logger.
    static func openDatabase(_ settings: PostgresConnectionSettings) async throws(StoreError) -> PostgresStores {
        try await PostgresStores.open(settings, environment: ProcessInfo.processInfo.environment, logger: databaseLogger,
                                      maximumConnections: 2)
    }

    /// The database logger of a command-line tool: warnings and errors only (the pool's routine
    /// notes, such as each failed connection attempt, are for servers' logs, not a tool's output).
    static var databaseLogger: Logger {
        var logger = Logger(label: "keybound.database")
        logger.logLevel = .warning
        return logger
    }

    /// The SQLite directory the setting names. A PostgreSQL location is refused with one line:
    /// this build opens its stores on SQLite only.
    static func location(database: String?, data: String?,
                         defaultDirectory: String = DatabaseLocation.defaultDirectory) throws(CLIError) -> DatabaseLocation {
        do {
            return try DatabaseLocation.resolve(database: database, data: data, environment: ProcessInfo.processInfo.environment,
                                                defaultDirectory: defaultDirectory)
        } catch {
            throw CLIError(error)
        }
    }

    static func sqliteDirectory(database: String?, data: String?,
                                defaultDirectory: String = DatabaseLocation.defaultDirectory) throws(CLIError) -> URL {
        switch try location(database: database, data: data, defaultDirectory: defaultDirectory) {
        case .sqlite(let directory):
            return directory
        case .postgres(let settings):
            throw CLIError("this command's stores run on SQLite only in this build (every other command runs on PostgreSQL too); "
                           + "\(settings) is a valid PostgreSQL location, but use --database sqlite:DIR here")
        }
    }
}

extension CLIError {
    /// Wraps a store error as one CLI line.
    init(_ error: StoreError) { self.init(error.message) }
}

/// Runs a store call, turning its error into one CLI line.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws(CLIError) -> T {
    do {
        return try body()
    } catch {
        throw CLIError(error)
    }
}

/// Runs an async store call, turning its error into one CLI line.
func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(CLIError) -> T {
    do {
        return try await body()
    } catch {
        throw CLIError(error)
    }
}
