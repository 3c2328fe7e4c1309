import Foundation
import GRDB
@testable import KeyboundAudit

/// Synchronous access to a log kept in SQLite, for fixtures that build a log outside any task.
extension AuditLog {
    private var sqlite: SQLiteAuditStorage {
        guard let storage = storage as? SQLiteAuditStorage else { preconditionFailure("this test's audit log is not in SQLite") }
        return storage
    }

    /// The log's database pool.
    var sqlitePool: DatabasePool { sqlite.pool }

    /// Appends `records` in a transaction of their own, now.
    @discardableResult
    func appendNow(_ records: [AuditRecord]) throws -> [AuditRecord] {
        try sqlite.appendNow(records.map { $0.normalized(configuration) })
    }

    /// The last record, read now.
    func lastRecordNow() throws -> AuditRecord? {
        try sqlite.read { db in
            try Row.fetchOne(db, sql: "\(SQLiteAuditStorage.selectSQL) ORDER BY sequence DESC LIMIT 1").map(SQLiteAuditStorage.record)
        }
    }
}
