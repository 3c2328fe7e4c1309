import Foundation
import GRDB
import Keybound

extension AuditLog {
    static let selectSQL = "SELECT sequence, \(AuditColumns.names), hash FROM audit_record"

    static func record(_ row: Row) -> AuditRecord {
        AuditRecord(sequence: AuditStoredFields.sequence(row) ?? 0, fields: AuditStoredFields.fields(row),
                    hash: AuditStoredFields.hash(row))
    }

    /// Records in sequence order after `sequence`, at most `limit`.
    public func records(after sequence: Int64 = 0, limit: Int = 1_000) throws(AuditError) -> [AuditRecord] {
        let limit = max(0, limit)
        return try read { db in
            try Row.fetchAll(db, sql: "\(Self.selectSQL) WHERE sequence > ? ORDER BY sequence LIMIT ?",
                             arguments: [sequence, limit]).map(Self.record)
        }
    }

    /// The records of `tenant`'s feed in sequence order after `sequence`, at most `limit`: those
    /// whose tenant is exactly (issuer, tid) on the strength of a *verified* token. A record of a
    /// refused token says only what the token claimed, so it never enters a tenant's feed. (A
    /// format 1 record, written before records said whether they were verified, counts when it was
    /// allowed, since only verified tokens were served, and its token's issuer is the tenant's.)
    ///
    /// Found through the index on (tenant, sequence): page with the last sequence number returned.
    public func records(of tenant: Tenant, after sequence: Int64 = 0, limit: Int = 1_000) throws(AuditError) -> [AuditRecord] {
        let limit = max(0, limit)
        return try read { db in
            try Row.fetchAll(db, sql: """
                \(Self.selectSQL) WHERE tenant = ? AND sequence > ?
                AND ((attribution = 'verified' AND tenant_issuer = ?) OR (attribution IS NULL AND verdict = 'allowed' AND token_iss = ?))
                ORDER BY sequence LIMIT ?
                """, arguments: [tenant.tenantID, sequence, tenant.issuer, tenant.issuer, limit]).map(Self.record)
        }
    }

    /// Calls `body` with every record after `sequence`, in order, reading `batchSize` records per
    /// read transaction (so a long scan never holds one open, and sees records appended meanwhile).
    /// For hunts: for example every record of a `kid` or a `jti`.
    public func forEach(batchSize: Int = 1_000, after sequence: Int64 = 0, _ body: (AuditRecord) throws -> Void) throws {
        var last = sequence
        while true {
            let batch = try records(after: last, limit: max(1, batchSize))
            for record in batch { try body(record) }
            guard let next = batch.last?.sequence, batch.count >= max(1, batchSize) else { return }
            last = next
        }
    }

    /// Every checkpoint, oldest first (pruned segments' checkpoints included).
    public func checkpoints() throws(AuditError) -> [AuditCheckpoint] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment").map(AuditCheckpoint.init(row:)) }
    }

    /// Every prune record, oldest first.
    public func pruneRecords() throws(AuditError) -> [AuditPruneRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_prune ORDER BY id").map(AuditPruneRecord.init(row:)) }
    }

    /// The last record's sequence number (0 for an empty log; after a full prune, the last pruned one).
    public func lastSequence() throws(AuditError) -> Int64 {
        try read { db in try AuditHead.read(db).sequence }
    }
}
