import Foundation
internal import GRDB

extension SQLiteProviderStore {
    /// Appends inside one `BEGIN IMMEDIATE` transaction: the chain's last entry cannot move in between.
    @discardableResult
    public func appendAdminAction(_ action: AdminAction) throws(StoreError) -> AdminLogEntry {
        try write { db in
            let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM admin_log ORDER BY sequence DESC LIMIT 1")
                .map { (sequence: $0["sequence"] as Int64, hash: $0["hash"] as String) }
            let entry = AdminLogChain.entry(after: last, action: action)
            try db.execute(sql: """
                INSERT INTO admin_log (sequence, at, actor_issuer, actor_subject, action, issuer_id, target, reason, outcome, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.sequence, action.at.timeIntervalSince1970, action.actorIssuer, action.actorSubject, action.action,
                                 action.issuerID, action.target, action.reason, action.outcome, entry.previousHash, entry.hash])
            return entry
        }
    }

    public func adminLog(issuerID: String?, after sequence: Int64, limit: Int) throws(StoreError) -> [AdminLogEntry] {
        try read { db in
            let rows = if let issuerID {
                try Row.fetchAll(db, sql: "SELECT * FROM admin_log WHERE issuer_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
                                 arguments: [issuerID, sequence, max(0, limit)])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM admin_log WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, max(0, limit)])
            }
            return rows.map { row in
                AdminLogEntry(sequence: row["sequence"], action: AdminAction(
                    at: Date(timeIntervalSince1970: row["at"]), actorIssuer: row["actor_issuer"], actorSubject: row["actor_subject"],
                    action: row["action"], issuerID: row["issuer_id"], target: row["target"], reason: row["reason"],
                    outcome: row["outcome"]), previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }
}
