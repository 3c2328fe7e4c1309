import Dispatch
import Foundation
import GRDB
import Synchronization

/// The append-only, hash-chained audit log of a protected resource: `audit.sqlite` (WAL, one
/// `DatabasePool`) in a data directory, with checkpoints signed by the audit key in
/// `audit-signing-key.json` beside it.
///
/// Appends from concurrent requests are gathered into one transaction on a dedicated queue (group
/// commit, as the issuance ledger does), so a burst costs one durable commit, not one each. Sequence
/// numbers and chain hashes are computed inside that `BEGIN IMMEDIATE` transaction from the last
/// committed record, so no two writers (threads or processes) can fork the chain.
public final class AuditLog: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "audit.sqlite"

    struct Waiting {
        let records: [AuditRecord]
        let continuation: UnsafeContinuation<[AuditRecord], any Error>
    }

    struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

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
    let state = Mutex(State())
    let queue = DispatchQueue(label: "keybound.audit-log")
    /// Told the number of appends and the duration (seconds) of each committed batch (for metrics).
    let onBatch: @Sendable (Int, Double) -> Void

    /// Opens (creating if needed) the audit log in `directory`.
    ///
    /// A new log gets a fresh audit signing key in `audit-signing-key.json` (mode 0600, `O_EXCL`).
    /// An existing log must find its key there: a missing key file, or a key the log does not know,
    /// is refused rather than replaced.
    public init(directory: URL, configuration: AuditConfiguration = AuditConfiguration(),
                onBatch: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) throws(AuditError) {
        try configuration.validate()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw AuditError(.storage, "cannot create the data directory '\(directory.path)'")
        }
        self.directory = directory
        self.configuration = configuration
        self.onBatch = onBatch
        path = directory.appendingPathComponent(Self.fileName).path
        var databaseConfiguration = Configuration()
        databaseConfiguration.busyMode = .timeout(30)
        databaseConfiguration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            pool = try DatabasePool(path: path, configuration: databaseConfiguration)
            try AuditSchema.migrator.migrate(pool)
        } catch {
            throw AuditError(.storage, "cannot open the audit log at '\(path)': \(error)")
        }
        signingKey = try Self.setUpSigningKey(pool: pool, directory: directory)
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
            return try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[AuditRecord], any Error>) in
                let startFlusher = state.withLock { state -> Bool in
                    state.waiting.append(Waiting(records: normalized, continuation: continuation))
                    guard !state.flushing else { return false }
                    state.flushing = true
                    return true
                }
                if startFlusher { queue.async { self.flush() } }
            }
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

    private func flush() {
        var previousBatch = 0
        while true {
            // Under concurrency (the last batch had company), wait a moment for more appends so one
            // commit covers more records. A lone append never waits.
            if previousBatch > 1 && state.withLock({ $0.waiting.count }) < configuration.maximumBatch {
                usleep(configuration.coalescingDelayMicroseconds)
            }
            let batch: [Waiting] = state.withLock { state in
                let taken = Array(state.waiting.prefix(configuration.maximumBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            previousBatch = batch.count
            if batch.isEmpty { return }
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                let appended = try write { db in try self.insert(batch.map(\.records), into: db) }
                onBatch(batch.count, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                for (waiting, records) in zip(batch, appended) { waiting.continuation.resume(returning: records) }
            } catch {
                // One failing append must not fail its neighbours: retry them one by one.
                for waiting in batch {
                    do {
                        let appended = try write { db in try self.insert([waiting.records], into: db) }
                        waiting.continuation.resume(returning: appended[0])
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction.
    func write<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw Self.storageError(error)
        }
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
