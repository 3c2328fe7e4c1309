import Foundation
internal import KeyboundPostgres
internal import PostgresNIO

extension PostgresProviderStore {
    /// The admin log: one chain across every node, appended one at a time under its advisory lock.
    static let adminLogOrder = CommitOrderedLog(table: "admin_log", lockKey: 0x4B42_0000_0000_0501)

    @discardableResult
    package func appendAdminAction(_ action: AdminAction) async throws(StoreError) -> AdminLogEntry {
        try await write { connection, logger in
            // The lock first: the last entry read below is the chain's last until this commits.
            let next = try await Self.adminLogOrder.nextSequence(connection, logger: logger)
            let previous = try await connection.single(String.self, "SELECT hash FROM admin_log WHERE sequence = \(next - 1)", logger: logger)
            let entry = AdminLogChain.entry(after: previous.map { (sequence: next - 1, hash: $0) }, action: action)
            try await connection.query("""
                INSERT INTO admin_log (sequence, at, actor_issuer, actor_subject, action, issuer_id, target, reason, outcome, previous_hash, hash)
                VALUES (\(entry.sequence), \(action.at.timeIntervalSince1970), \(action.actorIssuer), \(action.actorSubject), \(action.action),
                        \(action.issuerID), \(action.target), \(action.reason), \(action.outcome), \(entry.previousHash), \(entry.hash))
                """, logger: logger)
            return entry
        }
    }

    package func adminLog(issuerID: String?, after sequence: Int64, limit: Int) async throws(StoreError) -> [AdminLogEntry] {
        try await read { connection, logger in
            let limit = Int64(max(0, limit))
            let query: PostgresQuery = if let issuerID {
                "SELECT * FROM admin_log WHERE issuer_id = \(issuerID) AND sequence > \(sequence) ORDER BY sequence LIMIT \(limit)"
            } else {
                "SELECT * FROM admin_log WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)"
            }
            return try await Self.rows(query, connection, logger: logger).map { row in
                AdminLogEntry(sequence: try row["sequence"].decode(Int64.self), action: AdminAction(
                    at: Date(timeIntervalSince1970: try row["at"].decode(Double.self)),
                    actorIssuer: try row["actor_issuer"].decode(String.self), actorSubject: try row["actor_subject"].decode(String.self),
                    action: try row["action"].decode(String.self), issuerID: try row["issuer_id"].decode(String?.self),
                    target: try row["target"].decode(String.self), reason: try row["reason"].decode(String.self),
                    outcome: try row["outcome"].decode(String.self)),
                    previousHash: try row["previous_hash"].decode(String.self), hash: try row["hash"].decode(String.self))
            }
        }
    }
}
