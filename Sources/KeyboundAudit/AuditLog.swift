import Foundation
import GRDB
import KeyboundSQLite

/// The append-only, hash-chained audit log of a protected resource: `audit.sqlite` (WAL, one
/// `DatabasePool`) in a data directory, with checkpoints signed by the audit key in
/// `audit-signing-key.json` beside it.
///
/// Appends from concurrent requests are gathered into one transaction on a dedicated queue (group
/// commit, through the SQLite core's `GroupCommitWriter`, as the issuance ledger does), so a burst
/// costs one durable commit, not one each. Sequence numbers and chain hashes are computed inside
/// that `BEGIN IMMEDIATE` transaction from the last committed record, so no two writers (threads
/// or processes) can fork the chain.
public final class AuditLog: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "audit.sqlite"

    let pool: DatabasePool
    let signingKey: AuditSigningKey
    /// The data directory.
    public let directory: URL
    /// The database file.
    public let path: String
    /// The settings.
    public let configuration: AuditConfiguration
    /// The public key that signs this log's checkpoints (pin its ``AuditPublicKey/keyID``).
    public var publicKey: AuditPublicKey { signingKey.publicKey }
    /// The group-commit writer: one item is one `append` call's records.
    let writer: GroupCommitWriter<[AuditRecord], [AuditRecord]>

    /// Opens (creating if needed) the audit log in `directory`.
    ///
    /// A new log gets a fresh audit signing key in `audit-signing-key.json` (mode 0600, `O_EXCL`).
    /// An existing log must find its key there: a missing key file, or a key the log does not know,
    /// is refused rather than replaced. `onBatch` is told the number of appends and the duration
    /// (seconds) of each committed batch (for metrics).
    public init(directory: URL, configuration: AuditConfiguration = AuditConfiguration(),
                onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) throws(AuditError) {
        try configuration.validate()
        do {
            try SQLiteDatabase.createDataDirectory(directory)
        } catch {
            throw AuditError(.storage, "cannot create the data directory '\(directory.path)'")
        }
        self.directory = directory
        self.configuration = configuration
        path = directory.appendingPathComponent(Self.fileName).path
        do {
            pool = try SQLiteDatabase.openPool(path: path, migrator: AuditSchema.migrator)
        } catch {
            throw AuditError(.storage, "cannot open the audit log at '\(path)': \(error)")
        }
        let signingKey = try Self.setUpSigningKey(pool: pool, directory: directory)
        self.signingKey = signingKey
        let checkpointInterval = configuration.checkpointInterval
        writer = GroupCommitWriter(database: pool, label: "keybound.audit-log", maximumBatch: configuration.maximumBatch,
                                   coalescingDelayMicroseconds: configuration.coalescingDelayMicroseconds, onBatch: onBatch) { groups, db in
            try Self.insert(groups, into: db, signingKey: signingKey, checkpointInterval: checkpointInterval)
        }
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

    /// Appends `records` (in order, contiguously) and returns them with their sequence numbers and
    /// hashes once they are durable. Concurrent calls share one transaction.
    @discardableResult
    public func append(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        let normalized = records.map { $0.normalized(configuration) }
        guard !normalized.isEmpty else { return [] }
        do {
            return try await writer.submit(normalized)
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Appends one record and returns it with its sequence number and hash.
    @discardableResult
    public func append(_ record: AuditRecord) async throws(AuditError) -> AuditRecord {
        try await append([record])[0]
    }

    /// Appends `records` synchronously in their own transaction (for tools and tests).
    @discardableResult
    public func appendNow(_ records: [AuditRecord]) throws(AuditError) -> [AuditRecord] {
        let normalized = records.map { $0.normalized(configuration) }
        return try write { db in try self.insert([normalized], into: db)[0] }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction.
    func write<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do { return try pool.writeImmediate(body) } catch { throw Self.storageError(error) }
    }

    /// Runs `body` in a read transaction.
    func read<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do { return try pool.read(body) } catch { throw Self.storageError(error) }
    }

    static func storageError(_ error: any Error) -> AuditError {
        if let error = error as? AuditError { return error }
        return AuditError(.storage, "audit log: \(error)")
    }
}
