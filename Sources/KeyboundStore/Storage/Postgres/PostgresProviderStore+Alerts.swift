import Foundation
internal import KeyboundPostgres
internal import PostgresNIO

extension PostgresProviderStore {
    /// The recent alerts: numbered in commit order across nodes.
    static let alertLog = CommitOrderedLog(table: "alert", lockKey: 0x4B42_0000_0000_0401)

    @discardableResult
    package func appendAlert(_ alert: AlertRecord, keep: Int) async throws(StoreError) -> Int64 {
        try await write { connection, logger in
            let sequence = try await Self.alertLog.nextSequence(connection, logger: logger)
            try await connection.query("""
                INSERT INTO alert (sequence, node, raised_at, code, issuer, body)
                VALUES (\(sequence), \(alert.node), \(alert.raisedAt.timeIntervalSince1970), \(alert.code), \(alert.issuer), \(alert.body))
                """, logger: logger)
            try await connection.query("DELETE FROM alert WHERE sequence <= \(sequence - Int64(max(1, keep)))", logger: logger)
            return sequence
        }
    }

    package func alerts(after sequence: Int64, limit: Int) async throws(StoreError) -> [StoredAlert] {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM alert WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(max(0, limit)))",
                                connection, logger: logger).map { row in
                StoredAlert(sequence: try row["sequence"].decode(Int64.self), record: AlertRecord(
                    node: try row["node"].decode(String.self), raisedAt: Date(timeIntervalSince1970: try row["raised_at"].decode(Double.self)),
                    code: try row["code"].decode(String.self), issuer: try row["issuer"].decode(String?.self),
                    body: try row["body"].decode(String.self)))
            }
        }
    }

    package func latestAlertSequence() async throws(StoreError) -> Int64 {
        try await read { connection, logger in
            try await connection.single(Int64.self, "SELECT COALESCE(MAX(sequence), 0) FROM alert", logger: logger) ?? 0
        }
    }
}

extension KeyboundPostgresSchema {
    /// Version 4: the recent security alerts of every node (``AlertLogStore``), a ring the
    /// appender trims: not append-only, unlike the logs that are records.
    static let alerts = PostgresMigration(version: 4, name: "recent security alerts", statements: [
        """
        CREATE TABLE alert (
            sequence bigint PRIMARY KEY,
            node text NOT NULL,
            raised_at double precision NOT NULL,
            code text COLLATE "C" NOT NULL,
            issuer text COLLATE "C",
            body text NOT NULL)
        """,
    ])
}
