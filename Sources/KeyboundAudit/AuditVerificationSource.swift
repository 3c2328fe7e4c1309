import Dispatch
import Foundation
import GRDB
import KeyboundPostgres
import Logging
import PostgresNIO
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
        if cursor == nil { cursor = try Row.fetchCursor(db, sql: "\(SQLiteAuditStorage.selectSQL) ORDER BY sequence, rowid") }
        return try cursor?.next().map(StoredRecordRow.init)
    }
}

/// The log on PostgreSQL, read in pages of records by sequence number (the primary key). Its
/// calls wait for the database on the verifier's own thread, never on the concurrency pool.
final class PostgresVerificationSource: AuditVerificationSource {
    static let pageSize = 2_000
    private let database: PostgresBackend
    private var page: [StoredRecordRow] = []
    private var index = 0
    private var after: Int64 = .min
    private var exhausted = false

    init(database: PostgresBackend) { self.database = database }

    func missingTable() throws -> String? {
        try wait { database, logger in
            try await database.withConnection { connection in
                for table in ["audit_record", "audit_checkpoint", "audit_prune", "audit_key"] {
                    if try await connection.single(Bool.self, "SELECT to_regclass(\(table)) IS NOT NULL", logger: logger) != true { return table }
                }
                return nil
            }
        }
    }

    func keys() throws -> [AuditKeyRow] {
        try wait { database, logger in
            try await database.withConnection { connection in
                try await connection.query("SELECT key_id, algorithm, public_key FROM audit_key", logger: logger).collect().map { row in
                    let row = row.makeRandomAccess()
                    return AuditKeyRow(keyID: try row["key_id"].decode(String?.self), algorithm: try row["algorithm"].decode(String?.self),
                                       publicKey: (try row["public_key"].decode(ByteBuffer?.self)).map { Array($0.readableBytesView) } ?? [])
                }
            }
        }
    }

    func checkpoints() throws -> [AuditCheckpoint] {
        try wait { database, logger in
            try await database.withConnection { connection in
                try await PostgresAuditStorage.rows("SELECT * FROM audit_checkpoint ORDER BY segment", connection, logger: logger)
                    .map(PostgresAuditStorage.checkpoint(from:))
            }
        }
    }

    func pruneRecords() throws -> [AuditPruneRecord] {
        try wait { database, logger in
            try await database.withConnection { connection in
                try await PostgresAuditStorage.rows("SELECT * FROM audit_prune ORDER BY id", connection, logger: logger)
                    .map(PostgresAuditStorage.pruneRecord(from:))
            }
        }
    }

    func nextRecord() throws -> StoredRecordRow? {
        if index == page.count {
            guard !exhausted else { return nil }
            let after = self.after
            page = try wait { database, logger in
                try await database.withConnection { connection in
                    try await PostgresAuditStorage.storedRows(after: after, limit: Self.pageSize, connection, logger: logger)
                }
            }
            index = 0
            exhausted = page.count < Self.pageSize
            if let last = page.last?.sequence { self.after = last }
            if page.isEmpty { return nil }
        }
        defer { index += 1 }
        return page[index]
    }

    /// Runs `body` and waits for it on this thread (a thread of the verifier's own, never one of
    /// the concurrency pool's, which would then have one thread fewer for the work it waits for).
    private func wait<T: Sendable>(_ body: @escaping @Sendable (PostgresBackend, Logger) async throws -> T) throws -> T {
        let database = self.database
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body(database, database.logger)) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}
