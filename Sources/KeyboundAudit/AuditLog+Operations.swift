import Foundation
import Keybound

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
    // MARK: Writing

    /// Appends `records` (in order, contiguously) and returns them with their sequence numbers and
    /// hashes once they are durable. Concurrent calls share one transaction.
    @discardableResult
    public func append(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        let normalized = records.map { $0.normalized(configuration) }
        guard !normalized.isEmpty else { return [] }
        return try await storage.append(normalized)
    }

    /// Appends one record and returns it with its sequence number and hash.
    @discardableResult
    public func append(_ record: AuditRecord) async throws(AuditError) -> AuditRecord {
        try await append([record])[0]
    }

    /// Appends `records` in a transaction of their own, not shared with other appends (for tools and tests).
    @discardableResult
    public func appendAlone(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        let normalized = records.map { $0.normalized(configuration) }
        guard !normalized.isEmpty else { return [] }
        return try await storage.appendAlone(normalized)
    }

    /// Signs a checkpoint over the records appended since the last one, now, and returns it; with
    /// nothing new, returns the last checkpoint (`nil` for a log that never had a record).
    ///
    /// Call it on shutdown and before exporting checkpoints, so the tail is covered too.
    @discardableResult
    public func checkpoint(now: Date = Date()) async throws(AuditError) -> AuditCheckpoint? {
        try await storage.checkpoint(now: now)
    }

    // MARK: Reading

    /// Records in sequence order after `sequence`, at most `limit`.
    public func records(after sequence: Int64 = 0, limit: Int = 1_000) async throws(AuditError) -> [AuditRecord] {
        try await storage.records(after: sequence, limit: max(0, limit))
    }

    /// The records of `tenant`'s feed in sequence order after `sequence`, at most `limit`: those
    /// whose tenant is exactly (issuer, tid) on the strength of a *verified* token. A record of a
    /// refused token says only what the token claimed, so it never enters a tenant's feed. (A
    /// format 1 record, written before records said whether they were verified, counts when it was
    /// allowed, since only verified tokens were served, and its token's issuer is the tenant's.)
    ///
    /// With `resourceServer`, only the records that resource server wrote: a resource's feed shows
    /// its own activity, never another resource's that shares the log (a record without a resource
    /// server counts as ``AuditFormat/resourceServerBeforeFormat3``'s).
    ///
    /// Found through the index on (tenant, sequence): page with the last sequence number returned.
    public func records(of tenant: Tenant, resourceServer: String? = nil, after sequence: Int64 = 0,
                        limit: Int = 1_000) async throws(AuditError) -> [AuditRecord] {
        try await storage.records(of: tenant, resourceServer: resourceServer, after: sequence, limit: max(0, limit))
    }

    /// Calls `body` with every record after `sequence`, in order, reading `batchSize` records per
    /// read (so a long scan never holds one transaction open, and sees records appended meanwhile).
    public func forEach(batchSize: Int = 1_000, after sequence: Int64 = 0, _ body: (AuditRecord) throws -> Void) async throws {
        var last = sequence
        while true {
            let batch = try await records(after: last, limit: max(1, batchSize))
            for record in batch { try body(record) }
            guard let next = batch.last?.sequence, batch.count >= max(1, batchSize) else { return }
            last = next
        }
    }

    /// Every checkpoint, oldest first (pruned segments' checkpoints included).
    public func checkpoints() async throws(AuditError) -> [AuditCheckpoint] {
        try await storage.checkpoints()
    }

    /// Every prune record, oldest first.
    public func pruneRecords() async throws(AuditError) -> [AuditPruneRecord] {
        try await storage.pruneRecords()
    }

    /// The last record's sequence number (0 for an empty log; after a full prune, the last pruned one).
    public func lastSequence() async throws(AuditError) -> Int64 {
        try await storage.lastSequence()
    }

    // MARK: Retention

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
        try await storage.prune(cutoffMilliseconds: AuditTime.milliseconds(cutoff), now: now)
    }

    /// Prunes with the configured retention: segments whose records are all older than `now - retention`.
    @discardableResult
    public func pruneExpired(now: Date = Date()) async throws(AuditError) -> AuditPruneResult {
        try await prune(olderThan: now.addingTimeInterval(-configuration.retention), now: now)
    }
}
