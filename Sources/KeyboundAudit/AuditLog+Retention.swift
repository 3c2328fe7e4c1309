import Foundation
import GRDB
import KeyboundSQLite

/// What a pruning removed.
public struct AuditPruneResult: Sendable, Equatable {
    /// The number of segments removed.
    public var segmentsRemoved: Int
    /// The number of records removed.
    public var recordsRemoved: Int
    /// The signed prune record, or `nil` when nothing was old enough.
    public var pruneRecord: AuditPruneRecord?
}

extension AuditLog {
    /// Removes the oldest whole segments whose records are all older than `cutoff` (their
    /// checkpoint's newest record time is before it), never part of a segment, and never records
    /// not yet covered by a checkpoint. Stops at the first segment that is not entirely old, since
    /// the retained log must stay one unbroken chain.
    ///
    /// The removed segments' checkpoints stay, and a signed prune record says how far the log was
    /// pruned and with which cutoff, so ``AuditVerifier`` still proves the rest and tells an
    /// honest prune from a deletion.
    @discardableResult
    public func prune(olderThan cutoff: Date, now: Date = Date()) async throws(AuditError) -> AuditPruneResult {
        let cutoffMilliseconds = AuditTime.milliseconds(cutoff)
        do {
            return try await pool.writeImmediate { db in
                try self.prune(db, cutoffMilliseconds: cutoffMilliseconds, now: now)
            }
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Prunes with the configured retention: segments whose records are all older than `now - retention`.
    @discardableResult
    public func pruneExpired(now: Date = Date()) async throws(AuditError) -> AuditPruneResult {
        try await prune(olderThan: now.addingTimeInterval(-configuration.retention), now: now)
    }

    private func prune(_ db: Database, cutoffMilliseconds: Int64, now: Date) throws -> AuditPruneResult {
        let last = try Row.fetchOne(db, sql: "SELECT * FROM audit_prune ORDER BY id DESC LIMIT 1").map(AuditPruneRecord.init(row:))
        let candidates = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint WHERE segment > ? ORDER BY segment",
                                          arguments: [last?.throughSegment ?? 0]).map(AuditCheckpoint.init(row:))
        let removable = candidates.prefix { AuditTime.milliseconds($0.newestRecordTime) < cutoffMilliseconds }
        guard let through = removable.last else {
            return AuditPruneResult(segmentsRemoved: 0, recordsRemoved: 0, pruneRecord: nil)
        }
        var record = AuditPruneRecord(
            id: (last?.id ?? 0) + 1, throughSegment: through.segment, throughSequence: through.lastSequence,
            cutoff: AuditTime.date(cutoffMilliseconds), prunedAt: AuditTime.date(AuditTime.milliseconds(now)),
            keyID: signingKey.publicKey.keyID, signature: [])
        record.signature = try signingKey.sign(record.signedBytes)
        // The prune row first: the delete trigger allows removing only records it covers.
        try db.execute(sql: """
            INSERT INTO audit_prune (id, through_segment, through_sequence, cutoff_ms, pruned_at_ms, key_id, signature)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [record.id, record.throughSegment, record.throughSequence, cutoffMilliseconds,
                             AuditTime.milliseconds(record.prunedAt), record.keyID, Data(record.signature)])
        try db.execute(sql: "DELETE FROM audit_record WHERE sequence <= ?", arguments: [record.throughSequence])
        return AuditPruneResult(segmentsRemoved: removable.count, recordsRemoved: db.changesCount, pruneRecord: record)
    }
}
