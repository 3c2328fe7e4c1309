import Foundation
import GRDB
import GRDBSQLite
import KeyboundAudit

/// The floor under the hunt: the same `SELECT`, stepped with the same read settings, reading the
/// same columns' bytes and doing nothing with them. What the hunt adds is the difference.
enum HuntBenchFloor {
    static func run(directory: URL, cacheKiB: Int = 8_192) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB); PRAGMA mmap_size = 0") }
        let queue = try DatabaseQueue(path: directory.appendingPathComponent(AuditLog.fileName).path, configuration: configuration)
        let started = ContinuousClock.now
        let cpuBefore = HuntBenchMeasure.cpuSeconds()
        var rows = 0, checksum = 0
        try queue.read { db in
            let statement = try db.makeStatement(sql: """
                SELECT sequence, time_ms, verdict = 'allowed', rejection_code, claims_digest, token_iss, token_kid, client_id, tenant,
                       mailbox, token_exp_ms FROM audit_record ORDER BY sequence
                """)
            let handle = statement.sqliteStatement
            while sqlite3_step(handle) == SQLITE_ROW {
                rows += 1
                checksum &+= Int(sqlite3_column_int64(handle, 1) & 1) &+ Int(sqlite3_column_int64(handle, 2))
                for column: Int32 in [4, 5, 6, 7, 8, 9] {
                    let value = sqlite3_column_value(handle, column)
                    if let bytes = sqlite3_value_blob(value) { checksum &+= Int(bytes.load(as: UInt8.self)) &+ Int(sqlite3_value_bytes(value)) }
                }
            }
            sqlite3_reset(handle)
        }
        let seconds = (ContinuousClock.now - started).components
        let elapsed = Double(seconds.seconds) + Double(seconds.attoseconds) / 1e18
        let cpu = HuntBenchMeasure.cpuSeconds() - cpuBefore
        print(String(format: "floor (SQLite alone, same SELECT, the same 6 text columns' bytes and 2 integers read): %d rows in %.3f s = %.0f rows/s, %.0f rows per CPU-second (checksum %d)",
                     rows, elapsed, Double(rows) / elapsed, Double(rows) / cpu, checksum))
    }
}
