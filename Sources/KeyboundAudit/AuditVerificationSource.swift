import Dispatch
import Foundation
internal import GRDB
internal import KeyboundPostgres
import Logging
internal import PostgresNIO
import Synchronization

/// One row of `audit_key`, as stored.
struct AuditKeyRow {
    var keyID: String?
    var algorithm: String?
    var publicKey: [UInt8]
}

/// What ``AuditVerifier`` reads, whatever the backend: the tables, the recorded keys, the
/// checkpoints and prune records, then every record in sequence order. Synchronous: the verifier
/// runs on a thread of its own.
protocol AuditVerificationSource: AnyObject {
    /// The first of the log's tables that is missing, if any.
    func missingTable() throws -> String?
    /// Every row of `audit_key`.
    func keys() throws -> [AuditKeyRow]
    /// Every checkpoint, by segment.
    func checkpoints() throws -> [AuditCheckpoint]
    /// Every prune record, by id.
    func pruneRecords() throws -> [AuditPruneRecord]
    /// The next stored record in sequence order, or `nil` at the end.
    func nextRecord() throws -> StoredRecordRow?
}

/// `audit.sqlite`, in one read transaction: whatever each row holds, read without trapping on an
/// unexpected type (a tampered row).
final class SQLiteVerificationSource: AuditVerificationSource {
    private let db: Database
    private var cursor: RowCursor?

    init(db: Database) { self.db = db }

    func missingTable() throws -> String? {
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        return ["audit_record", "audit_checkpoint", "audit_prune", "audit_key"].first { !tables.contains($0) }
    }

    func keys() throws -> [AuditKeyRow] {
        try Row.fetchAll(db, sql: "SELECT key_id, algorithm, public_key FROM audit_key").map { row in
            let values = RowValues(row)
            return AuditKeyRow(keyID: values.text("key_id"), algorithm: values.text("algorithm"), publicKey: values.bytes("public_key"))
        }
    }

    func checkpoints() throws -> [AuditCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment").map(AuditCheckpoint.init(row:))
    }

    func pruneRecords() throws -> [AuditPruneRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_prune ORDER BY id").map(AuditPruneRecord.init(row:))
    }

    func nextRecord() throws -> StoredRecordRow? {
        if cursor == nil { cursor = try Row.fetchCursor(db, sql: "\(try SQLiteAuditStorage.selectSQL(db)) ORDER BY sequence, rowid") }
        return try cursor?.next().map(StoredRecordRow.init)
    }
}

/// The log on PostgreSQL, read in pages of records by sequence number (the primary key), all in
/// one read-only `REPEATABLE READ` transaction on one connection: one snapshot, so a record
/// appended or pruned while the walk runs neither appears nor goes missing half-way. Its calls
/// wait for the database on the verifier's own thread, never on the concurrency pool; ``close()``
/// ends the transaction.
final class PostgresVerificationSource: AuditVerificationSource {
    static let pageSize = 2_000
    private let snapshot: SnapshotSession
    private var page: [StoredRecordRow] = []
    private var index = 0
    private var after: Int64 = .min
    private var exhausted = false

    init(database: PostgresBackend) { snapshot = SnapshotSession(database: database) }

    /// Ends the snapshot's transaction (the walk is over).
    func close() { snapshot.finish() }

    func missingTable() throws -> String? {
        try snapshot.run { connection, logger in
            for table in ["audit_record", "audit_checkpoint", "audit_prune", "audit_key"] {
                if try await !connection.tableExists(table, logger: logger) { return table }
            }
            return nil
        }
    }

    func keys() throws -> [AuditKeyRow] {
        try snapshot.run { connection, logger in
            try await connection.query("SELECT key_id, algorithm, public_key FROM audit_key", logger: logger).collect().map { row in
                let row = row.makeRandomAccess()
                return AuditKeyRow(keyID: try row["key_id"].decode(String?.self), algorithm: try row["algorithm"].decode(String?.self),
                                   publicKey: (try row["public_key"].decode(ByteBuffer?.self)).map { Array($0.readableBytesView) } ?? [])
            }
        }
    }

    func checkpoints() throws -> [AuditCheckpoint] {
        try snapshot.run { connection, logger in
            try await PostgresAuditStorage.rows("SELECT * FROM audit_checkpoint ORDER BY segment", connection, logger: logger)
                .map(PostgresAuditStorage.checkpoint(from:))
        }
    }

    func pruneRecords() throws -> [AuditPruneRecord] {
        try snapshot.run { connection, logger in
            try await PostgresAuditStorage.rows("SELECT * FROM audit_prune ORDER BY id", connection, logger: logger)
                .map(PostgresAuditStorage.pruneRecord(from:))
        }
    }

    func nextRecord() throws -> StoredRecordRow? {
        if index == page.count {
            guard !exhausted else { return nil }
            let after = self.after
            page = try snapshot.run { connection, logger in
                try await PostgresAuditStorage.storedRows(after: after, limit: Self.pageSize, connection, logger: logger)
            }
            index = 0
            exhausted = page.count < Self.pageSize
            if let last = page.last?.sequence { self.after = last }
            if page.isEmpty { return nil }
        }
        defer { index += 1 }
        return page[index]
    }
}

/// One read-only `REPEATABLE READ` transaction on one connection, serving a synchronous caller's
/// queries one at a time until ``finish()``. The caller waits on its own thread (never one of the
/// concurrency pool's, which would then have one thread fewer for the work it waits for).
final class SnapshotSession: Sendable {
    private typealias Job = @Sendable (Result<PostgresConnection, any Error>, Logger) async -> Void
    private let jobs: AsyncStream<Job>.Continuation
    private let finished = Mutex(false)

    init(database: PostgresBackend) {
        let (stream, continuation) = AsyncStream<Job>.makeStream()
        jobs = continuation
        let logger = database.logger
        Task {
            do {
                try await database.withLongConnection { connection in
                    try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                    for await job in stream { await job(.success(connection), logger) }
                    try await connection.query("ROLLBACK", logger: logger)
                }
            } catch {
                // No connection, or it broke: every job still waiting, and every later one, fails.
                for await job in stream { await job(.failure(error), logger) }
            }
        }
    }

    /// Runs `body` in the snapshot and waits for it.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) throws -> T {
        guard !finished.withLock({ $0 }) else { throw AuditError(.storage, "the verification's snapshot is closed") }
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        jobs.yield { connection, logger in
            let result: Result<T, any Error>
            switch connection {
            case .success(let connection):
                do { result = .success(try await body(connection, logger)) } catch { result = .failure(error) }
            case .failure(let error):
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Ends the transaction once the jobs sent have run.
    func finish() {
        finished.withLock { $0 = true }
        jobs.finish()
    }
}
