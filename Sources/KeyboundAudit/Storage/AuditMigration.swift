import Foundation
internal import GRDB
package import KeyboundPostgres
internal import KeyboundSQLite
import Logging
internal import PostgresNIO

/// `keybound migrate`'s copy of a data directory's audit log into PostgreSQL: the log is verified
/// first (a log that fails `audit verify` is not copied), then its keys, records, checkpoints and
/// prune records are copied exactly as stored, so the copy verifies as the file did and the
/// chain goes on from the same head. The key file's private key goes into the key store, sealed
/// under the KEK (the caller seals it).
package enum AuditMigration {
    /// Records per `INSERT`.
    static let pageSize = 1_000

    /// The copy of the audit log in `directory` and the private bytes of its key file, or `nil`
    /// when the directory has no audit log.
    package static func part(directory: URL) throws(AuditError) -> (part: MigrationPart, signingKey: [UInt8])? {
        let path = directory.appendingPathComponent(AuditLog.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let report = try AuditVerifier.verify(directory: directory)
        if let problem = report.problem {
            throw AuditError(.storage, "the audit log in '\(directory.path)' fails verification (\(problem.description)); migrate copies an intact log only")
        }
        let key = try AuditSigningKey.load(from: AuditSigningKey.file(in: directory))
        let part = MigrationPart(name: "audit log", tables: ["audit_key", "audit_record", "audit_checkpoint", "audit_prune"]) { connection, logger in
            try await copy(path: path, connection, logger: logger)
        }
        return (part, key.privateKeyBytes)
    }

    private static func copy(path: String, _ connection: PostgresConnection, logger: Logger) async throws -> [(table: String, rows: Int)] {
        let queue = try SQLiteDatabase.openReadOnly(path: path)
        defer { try? queue.close() }
        let (keys, checkpoints, prunes) = try await queue.read { db in
            let source = SQLiteVerificationSource(db: db)
            return (try source.keys(), try source.checkpoints(), try source.pruneRecords())
        }
        let createdAt = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT key_id, created_at_ms FROM audit_key").reduce(into: [String: Int64]()) { result, row in
                let values = RowValues(row)
                result[values.text("key_id")] = values.integer("created_at_ms")
            }
        }
        for key in keys {
            try await connection.query("""
                INSERT INTO audit_key (key_id, algorithm, public_key, created_at_ms)
                VALUES (\(key.keyID ?? ""), \(key.algorithm ?? ""), \(ByteBuffer(bytes: key.publicKey)), \(createdAt[key.keyID ?? ""] ?? 0))
                """, logger: logger)
        }
        // Prune records first: the tables' triggers check what a prune covers.
        for prune in prunes {
            try await connection.query("""
                INSERT INTO audit_prune (id, through_segment, through_sequence, cutoff_ms, pruned_at_ms, key_id, signature)
                VALUES (\(prune.id), \(prune.throughSegment), \(prune.throughSequence), \(AuditTime.milliseconds(prune.cutoff)),
                        \(AuditTime.milliseconds(prune.prunedAt)), \(prune.keyID), \(ByteBuffer(bytes: prune.signature)))
                """, logger: logger)
        }
        for checkpoint in checkpoints { try await PostgresAuditStorage.insert(checkpoint, connection, logger: logger) }
        var after = Int64.min, copied = 0
        while true {
            let from = after
            let page = try await queue.read { db in
                try Row.fetchAll(db, sql: "\(try SQLiteAuditStorage.selectSQL(db)) WHERE sequence > ? ORDER BY sequence LIMIT ?",
                                 arguments: [from, pageSize]).map(StoredRecordRow.init)
            }
            guard let last = page.last?.sequence else { break }
            try await PostgresAuditStorage.insertRows(page.map { (sequence: $0.sequence ?? 0, fields: $0.fields, hash: $0.hash) },
                                                      connection, logger: logger)
            copied += page.count
            after = last
        }
        try await MigrationPart.check("audit_record", expected: copied, connection, logger: logger)
        try await MigrationPart.check("audit_checkpoint", expected: checkpoints.count, connection, logger: logger)
        return [("audit_key", keys.count), ("audit_record", copied), ("audit_checkpoint", checkpoints.count), ("audit_prune", prunes.count)]
    }
}
