import Foundation
internal import GRDB
internal import GRDBSQLite
import KeyboundAudit
internal import KeyboundSQLite

/// The SQLite fast path of the hunt's audit source: one `SELECT` of the columns the rules need
/// over `audit.sqlite`, read-only, stepped with the SQLite C API on a thread of its own (the pass
/// is CPU-bound and never runs on the concurrency pool).
enum SQLiteHuntSource {
    /// The columns the scan reads. SQLite extracts every column of the `SELECT` for every row, read
    /// or not, so the two that only tracing a key needs (the tenant issuer and the attribution) and
    /// the item ids are selected only then. A log of format 1 (no tenant issuer, no attribution)
    /// reads them as `NULL`, which the scan takes as "the token's issuer" and "verified only if allowed".
    static func selectSQL(format2: Bool, tracing: Bool) -> String {
        let tenantColumns = format2 ? "tenant_issuer, attribution = 'verified' OR (attribution IS NULL AND verdict = 'allowed')"
                                    : "NULL, verdict = 'allowed'"
        return """
            SELECT sequence, time_ms, verdict = 'allowed', rejection_code, claims_digest, token_iss, token_kid, client_id, tenant,
                   mailbox, token_exp_ms\(tracing ? ", \(tenantColumns), item_ids" : "") FROM audit_record ORDER BY sequence
            """
    }

    /// Scans `audit.sqlite` in `directory` with `scanner`; the records the findings and leads name.
    static func scan(directory: URL, configuration: HuntConfiguration, with scanner: AuditScanner) async throws(HuntError) -> [Int64: AuditRecord] {
        let queue = try open(directory, configuration)
        let result: Result<[Int64: AuditRecord], HuntError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(HuntError) in
                    defer { try? queue.close() }
                    do {
                        return try queue.read { db in
                            try run(db, scanner: scanner, tracing: configuration.key != nil)
                            let wanted = Set(scanner.findings.map(\.sequence) + scanner.leads.map(\.sequence))
                            return try AuditRecordReader.records(db, sequences: wanted)
                        }
                    } catch {
                        throw HuntError(.auditUnavailable, "cannot read the audit log in '\(directory.path)': \(error)")
                    }
                })
            }
        }
        return try result.get()
    }

    /// The single pass over `audit_record`.
    static func run(_ db: Database, scanner: AuditScanner, tracing: Bool) throws {
        let format2 = try db.columns(in: "audit_record").contains { $0.name == "tenant_issuer" }
        try db.stepRows(selectSQL(format2: format2, tracing: tracing)) { handle in scanner.consume(SQLiteScanRow(handle: handle)) }
        // The last row is gone once stepped past; read the last sequence number directly.
        scanner.finish(lastSequence: try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_record"))
    }

    /// The audit log, read-only, with read settings for one long sequential scan.
    private static func open(_ directory: URL, _ configuration: HuntConfiguration) throws(HuntError) -> DatabaseQueue {
        let path = directory.appendingPathComponent(AuditLog.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { throw HuntError(.auditUnavailable, "no audit log at '\(path)'") }
        let cache = max(64, configuration.cacheKiB), map = max(0, configuration.memoryMapBytes)
        do {
            let queue = try SQLiteDatabase.openReadOnly(path: path) { db in
                try db.execute(sql: "PRAGMA cache_size = -\(cache)")
                try db.execute(sql: "PRAGMA mmap_size = \(map)")
            }
            let hasTable = try queue.read { db in try db.tableExists("audit_record") }
            guard hasTable else { throw HuntError(.auditUnavailable, "'\(path)' is not an audit log (no audit_record table)") }
            return queue
        } catch let error as HuntError {
            throw error
        } catch {
            throw HuntError(.auditUnavailable, "cannot open the audit log at '\(path)': \(error)")
        }
    }
}

/// The current row of the fast path's statement (columns in ``HuntScanColumn`` order).
struct SQLiteScanRow: HuntScanRow {
    let handle: OpaquePointer

    var sequence: Int64 { sqlite3_column_int64(handle, HuntScanColumn.sequence.rawValue) }
    var timeMilliseconds: Int64 { sqlite3_column_int64(handle, HuntScanColumn.time.rawValue) }
    /// `verdict = 'allowed'`, computed by SQLite: 1, 0 (or NULL, never stored).
    var allowed: Bool { sqlite3_column_int64(handle, HuntScanColumn.allowed.rawValue) == 1 }
    var verified: Bool { sqlite3_column_int64(handle, HuntScanColumn.verified.rawValue) == 1 }
    var expiresMilliseconds: Int64? {
        sqlite3_column_type(handle, HuntScanColumn.expires.rawValue) == SQLITE_INTEGER
            ? sqlite3_column_int64(handle, HuntScanColumn.expires.rawValue) : nil
    }

    /// A text column's bytes, as stored: one `sqlite3_column_value` and the value's pointer and
    /// length (no NUL terminator is added, so SQLite copies nothing); `nil` for `NULL`. An empty
    /// string gets a non-nil base.
    @inline(__always)
    func text(_ column: HuntScanColumn) -> (UnsafeRawPointer?, Int) {
        let value = sqlite3_column_value(handle, column.rawValue)
        guard let pointer = sqlite3_value_blob(value) else {
            return sqlite3_value_type(value) == SQLITE_NULL ? (nil, 0) : (UnsafeRawPointer(bitPattern: 1), 0)
        }
        return (pointer, Int(sqlite3_value_bytes(value)))
    }
}
