import Foundation
internal import GRDB
package import KeyboundPostgres
internal import KeyboundSQLite
internal import PostgresNIO

/// The append-only, hash-chained audit log of a protected resource, with checkpoints signed by
/// the log's own audit key.
///
/// Its rows live in an `AuditStorage`: `audit.sqlite` in a data directory (the embedded
/// default, its key in `audit-signing-key.json` beside it), or PostgreSQL for many nodes (its key
/// sealed under the KEK in the database). Appends from concurrent requests are gathered into one
/// transaction (group commit), so a burst costs one durable commit, not one each. Sequence
/// numbers and chain hashes are computed inside that transaction from the last committed record,
/// with writers serialised, so no two writers (threads, processes or nodes) can fork the chain.
public final class AuditLog: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "audit.sqlite"

    let storage: any AuditStorage
    let signingKey: AuditSigningKey?
    /// Where the log lives: the database file, or the PostgreSQL database (never its password).
    public var location: String { storage.location }
    /// The data directory of a log kept in SQLite (`audit.sqlite` and its key file); `nil` on PostgreSQL.
    public var directory: URL? { (storage as? SQLiteAuditStorage)?.directory }
    /// The settings.
    public let configuration: AuditConfiguration
    /// The public key that signs this log's checkpoints (pin its ``AuditPublicKey/keyID``); `nil`
    /// for a log opened for reading only.
    public var publicKey: AuditPublicKey? { signingKey?.publicKey }

    init(storage: any AuditStorage, signingKey: AuditSigningKey?, configuration: AuditConfiguration) {
        self.storage = storage
        self.signingKey = signingKey
        self.configuration = configuration
    }

    /// Opens (creating if needed) the audit log in `directory`.
    ///
    /// A new log gets a fresh audit signing key in `audit-signing-key.json` (mode 0600, `O_EXCL`).
    /// An existing log must find its key there: a missing key file, or a key the log does not know,
    /// is refused rather than replaced. `onBatch` is told the number of appends and the duration
    /// (seconds) of each committed batch (for metrics).
    public convenience init(directory: URL, configuration: AuditConfiguration = AuditConfiguration(),
                            onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) throws(AuditError) {
        try configuration.validate()
        do {
            try SQLiteDatabase.createDataDirectory(directory)
        } catch {
            throw AuditError(.storage, "cannot create the data directory '\(directory.path)'")
        }
        let path = directory.appendingPathComponent(Self.fileName).path
        let pool: DatabasePool
        do {
            pool = try SQLiteDatabase.openPool(path: path, migrator: AuditSchema.migrator)
        } catch {
            throw AuditError(.storage, "cannot open the audit log at '\(path)': \(error)")
        }
        let signingKey = try Self.setUpSigningKey(pool: pool, directory: directory)
        self.init(storage: SQLiteAuditStorage(pool: pool, directory: directory, signingKey: signingKey, configuration: configuration, onBatch: onBatch),
                  signingKey: signingKey, configuration: configuration)
    }

    /// Opens the audit log kept in `database` (PostgreSQL, shared by every node), signed by
    /// `signingKey`: the key store's sealed secret `audit-signing-key`, the same on every node.
    ///
    /// The database must already be at schema version 6 (opening the key store migrates it). A
    /// log already signed by another key is refused, never given a second one.
    package static func open(database: PostgresBackend, signingKey: AuditSigningKey,
                             configuration: AuditConfiguration = AuditConfiguration(),
                             onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) async throws(AuditError) -> AuditLog {
        try configuration.validate()
        try await PostgresAuditStorage.register(signingKey, in: database)
        return AuditLog(storage: PostgresAuditStorage(database: database, signingKey: signingKey, configuration: configuration, onBatch: onBatch),
                        signingKey: signingKey, configuration: configuration)
    }

    /// Opens the audit log kept in `database` for reading only (the hunt, `audit verify`): no
    /// signing key, so no key-encryption key is needed; every write is refused. The database must
    /// have the audit tables (schema version 6).
    package static func openForReading(database: PostgresBackend) async throws(AuditError) -> AuditLog {
        try await PostgresAuditStorage.requireTables(in: database)
        return AuditLog(storage: PostgresAuditStorage(database: database, signingKey: nil, configuration: AuditConfiguration()) { _, _ in },
                        signingKey: nil, configuration: AuditConfiguration())
    }

    /// Loads the key file, or creates it for a log that has no key yet, and records its public key.
    private static func setUpSigningKey(pool: DatabasePool, directory: URL) throws(AuditError) -> AuditSigningKey {
        let file = AuditSigningKey.file(in: directory)
        let known: [String]
        do {
            known = try pool.read { db in try String.fetchAll(db, sql: "SELECT key_id FROM audit_key") }
        } catch {
            throw storageError(error)
        }
        let key: AuditSigningKey
        if FileManager.default.fileExists(atPath: file.path) {
            key = try AuditSigningKey.load(from: file)
        } else if known.isEmpty {
            let fresh = AuditSigningKey.generate()
            do {
                try fresh.write(to: file)
                key = fresh
            } catch {
                // Another process created it first: use theirs.
                guard FileManager.default.fileExists(atPath: file.path) else { throw storageError(error) }
                key = try AuditSigningKey.load(from: file)
            }
        } else {
            throw AuditError(.signingKey, "the audit log at '\(directory.path)' has signing key \(known.joined(separator: ", ")) but its key file '\(file.path)' is missing")
        }
        guard known.isEmpty || known.contains(key.publicKey.keyID) else {
            throw AuditError(.signingKey, "the audit signing key file '\(file.path)' holds key \(key.publicKey.keyID), which this audit log does not know (it knows \(known.joined(separator: ", ")))")
        }
        if !known.contains(key.publicKey.keyID) {
            do {
                try pool.write { db in
                    try db.execute(sql: "INSERT OR IGNORE INTO audit_key (key_id, algorithm, public_key, created_at_ms) VALUES (?, ?, ?, ?)",
                                   arguments: [key.publicKey.keyID, AuditPublicKey.algorithm, Data(key.publicKey.rawRepresentation),
                                               AuditTime.milliseconds(Date())])
                }
            } catch {
                throw storageError(error)
            }
        }
        return key
    }

    static func storageError(_ error: any Error) -> AuditError {
        if let error = error as? AuditError { return error }
        if let error = error as? PSQLError {
            // postgres-nio's description hides the server's message; the message names no secret.
            return AuditError(.storage, "audit log: the database refused: \(error.serverInfo?[.message] ?? "\(error.code)")")
        }
        if let error = error as? PostgresStorageError { return AuditError(.storage, "audit log: \(error.message)") }
        return AuditError(.storage, "audit log: \(error)")
    }
}
