import Foundation
internal import GRDB

extension SQLiteProviderStore {
    /// Appends `alert` inside one `BEGIN IMMEDIATE` transaction: the next number follows commit order.
    @discardableResult
    public func appendAlert(_ alert: AlertRecord, keep: Int) throws(StoreError) -> Int64 {
        try write { db in
            let sequence = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM alert") ?? 1
            try db.execute(sql: "INSERT INTO alert (sequence, node, raised_at, code, issuer, body) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [sequence, alert.node, alert.raisedAt.timeIntervalSince1970, alert.code, alert.issuer, alert.body])
            try db.execute(sql: "DELETE FROM alert WHERE sequence <= ?", arguments: [sequence - Int64(max(1, keep))])
            return sequence
        }
    }

    public func alerts(after sequence: Int64, limit: Int) throws(StoreError) -> [StoredAlert] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, max(0, limit)])
                .map { row in
                    StoredAlert(sequence: row["sequence"], record: AlertRecord(
                        node: row["node"], raisedAt: Date(timeIntervalSince1970: row["raised_at"]), code: row["code"],
                        issuer: row["issuer"], body: row["body"]))
                }
        }
    }

    public func latestAlertSequence() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM alert") ?? 0 }
    }
}
