import Foundation
internal import GRDB
import Keybound
internal import KeyboundSQLite

/// The audit log in `audit.sqlite` (WAL, one `DatabasePool`): appends from concurrent requests
/// are gathered into one `BEGIN IMMEDIATE` transaction by the SQLite core's group-commit writer,
/// which reads the head inside it, so no two writers (threads or processes) fork the chain.
final class SQLiteAuditStorage: AuditStorage {
    let pool: DatabasePool
    /// The data directory.
    let directory: URL
    /// `audit.sqlite` in it.
    let path: String
    let signingKey: AuditSigningKey
    let checkpointInterval: Int
    let writer: GroupCommitWriter<[AuditRecord], [AuditRecord]>

    var location: String { path }

    init(pool: DatabasePool, directory: URL, signingKey: AuditSigningKey, configuration: AuditConfiguration,
         onBatch: @escaping @Sendable (Int, Double) -> Void) {
        self.pool = pool
        self.directory = directory
        path = directory.appendingPathComponent(AuditLog.fileName).path
        self.signingKey = signingKey
        let checkpointInterval = configuration.checkpointInterval
        self.checkpointInterval = checkpointInterval
        writer = GroupCommitWriter(database: pool, label: "keybound.audit-log", maximumBatch: configuration.maximumBatch,
                                   coalescingDelayMicroseconds: configuration.coalescingDelayMicroseconds, onBatch: onBatch) { groups, db in
            try Self.insert(groups, into: db, signingKey: signingKey, checkpointInterval: checkpointInterval)
        }
    }

    static let selectSQL = "SELECT sequence, \(AuditColumns.names), hash FROM audit_record"

    /// ``selectSQL`` for the file open in `db`, whatever layout it has: a file not yet migrated
    /// (opened read-only by the verifier or `keybound migrate`) lacks the columns later formats
    /// added, which read as `NULL`.
    static func selectSQL(_ db: Database) throws -> String {
        let present = Set(try db.columns(in: "audit_record").map(\.name))
        let columns = AuditColumns.all.map { column -> String in
            present.contains(column.name) ? column.name : "NULL AS \(column.name)"
        }
        return "SELECT sequence, \(columns.joined(separator: ", ")), hash FROM audit_record"
    }
    static let insertSQL = """
        INSERT INTO audit_record (sequence, \(AuditColumns.names), hash)
        VALUES (?, \(AuditColumns.all.map { _ in "?" }.joined(separator: ", ")), ?)
        """

    // MARK: Writing

    func append(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        try await Self.auditCall { try await writer.submit(records) }
    }

    func appendAlone(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        try appendNow(records)
    }

    /// Appends `records` (normalized) in a transaction of their own, on the calling thread.
    func appendNow(_ records: [AuditRecord]) throws(AuditError) -> [AuditRecord] {
        try write { db in try Self.insert([records], into: db, signingKey: signingKey, checkpointInterval: checkpointInterval)[0] }
    }

    func checkpoint(now: Date) async throws(AuditError) -> AuditCheckpoint? {
        let signingKey = signingKey
        return try await Self.auditCall {
            try await pool.writeImmediate { db in
                var head = try Self.head(db, readingTimes: true)
                guard head.sequence >= head.uncheckpointedFrom else { return head.lastCheckpoint }
                let checkpoint = try AuditChain.closeSegment(&head, signingKey: signingKey, now: now)
                try Self.insert(checkpoint, into: db)
                return checkpoint
            }
        }
    }

    /// Appends every group inside the current transaction, after the head read in it.
    static func insert(_ groups: [[AuditRecord]], into db: Database, signingKey: AuditSigningKey,
                       checkpointInterval: Int) throws -> [[AuditRecord]] {
        var head = try head(db)
        if AuditChain.closesSegment(head, appending: groups.reduce(0) { $0 + $1.count }, checkpointInterval: checkpointInterval) {
            head.openSegmentTimes = try openSegmentTimes(db, from: head.uncheckpointedFrom)
        }
        let written = try AuditChain.extend(&head, with: groups, checkpointInterval: checkpointInterval,
                                            signingKey: signingKey, now: Date())
        let statement = try db.cachedStatement(sql: insertSQL)
        // Records first: a checkpoint row is only ever written after the records it covers.
        var checkpoints = written.checkpoints[...]
        for group in written.groups {
            for record in group {
                try statement.execute(arguments: AuditStoredFields.arguments(sequence: record.sequence, fields: record.canonicalFields,
                                                                             hash: record.hash))
                if let next = checkpoints.first, next.lastSequence == record.sequence {
                    try insert(next, into: db)
                    checkpoints = checkpoints.dropFirst()
                }
            }
        }
        return written.groups
    }

    static func insert(_ checkpoint: AuditCheckpoint, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO audit_checkpoint (segment, first_sequence, last_sequence, record_count, previous_hash, last_hash,
                oldest_record_ms, newest_record_ms, created_at_ms, key_id, signature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [checkpoint.segment, checkpoint.firstSequence, checkpoint.lastSequence, checkpoint.recordCount,
                             Data(checkpoint.previousHash), Data(checkpoint.lastHash),
                             AuditTime.milliseconds(checkpoint.oldestRecordTime), AuditTime.milliseconds(checkpoint.newestRecordTime),
                             AuditTime.milliseconds(checkpoint.createdAt), checkpoint.keyID, Data(checkpoint.signature)])
    }

    /// The head as committed, read inside the transaction; with the open segment's record times
    /// when `readingTimes` (a segment closes).
    static func head(_ db: Database, readingTimes: Bool = false) throws -> AuditHead {
        let checkpoint = try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment DESC LIMIT 1")
            .map(AuditCheckpoint.init(row:))
        var last: (sequence: Int64, hash: [UInt8])?
        if let row = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_record ORDER BY sequence DESC LIMIT 1") {
            guard let sequence = AuditStoredFields.sequence(row) else { throw AuditError(.storage, "the audit log's last record has no sequence number") }
            last = (sequence, AuditStoredFields.hash(row))
        }
        var head = try AuditHead.make(last: last, lastCheckpoint: checkpoint, openSegmentTimes: nil)
        if readingTimes { head.openSegmentTimes = try openSegmentTimes(db, from: head.uncheckpointedFrom) }
        return head
    }

    /// The oldest and newest record times of the records from `first` on.
    static func openSegmentTimes(_ db: Database, from first: Int64) throws -> ClosedRange<Int64>? {
        let times = try Row.fetchOne(db, sql: "SELECT MIN(time_ms) AS oldest, MAX(time_ms) AS newest FROM audit_record WHERE sequence >= ?",
                                     arguments: [first])
        guard let times, let oldest = times["oldest"] as Int64?, let newest = times["newest"] as Int64?, oldest <= newest else { return nil }
        return oldest...newest
    }

    // MARK: Reading

    static func record(_ row: Row) -> AuditRecord {
        AuditRecord(sequence: AuditStoredFields.sequence(row) ?? 0, fields: AuditStoredFields.fields(row),
                    hash: AuditStoredFields.hash(row))
    }

    func records(after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "\(Self.selectSQL) WHERE sequence > ? ORDER BY sequence LIMIT ?",
                             arguments: [sequence, max(0, limit)]).map(Self.record)
        }
    }

    func records(of tenant: Tenant, resourceServer: String?, after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                \(Self.selectSQL) WHERE tenant = ? AND sequence > ?
                AND ((attribution = 'verified' AND tenant_issuer = ?) OR (attribution IS NULL AND verdict = 'allowed' AND token_iss = ?))
                AND (? IS NULL OR COALESCE(resource_server, ?) = ?)
                ORDER BY sequence LIMIT ?
                """, arguments: [tenant.tenantID, sequence, tenant.issuer, tenant.issuer, resourceServer,
                                 AuditFormat.resourceServerBeforeFormat3, resourceServer, max(0, limit)]).map(Self.record)
        }
    }

    func checkpoints() async throws(AuditError) -> [AuditCheckpoint] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment").map(AuditCheckpoint.init(row:)) }
    }

    func pruneRecords() async throws(AuditError) -> [AuditPruneRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM audit_prune ORDER BY id").map(AuditPruneRecord.init(row:)) }
    }

    func lastSequence() async throws(AuditError) -> Int64 {
        try read { db in try Self.head(db).sequence }
    }

    // MARK: Retention

    func prune(cutoffMilliseconds: Int64, now: Date) async throws(AuditError) -> AuditPruneResult {
        let signingKey = signingKey
        return try await Self.auditCall {
            try await pool.writeImmediate { db in
                let last = try Row.fetchOne(db, sql: "SELECT * FROM audit_prune ORDER BY id DESC LIMIT 1").map(AuditPruneRecord.init(row:))
                let candidates = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint WHERE segment > ? ORDER BY segment",
                                                  arguments: [last?.throughSegment ?? 0]).map(AuditCheckpoint.init(row:))
                guard let (record, segments) = try AuditChain.prune(after: last, candidates: candidates, cutoffMilliseconds: cutoffMilliseconds,
                                                                    signingKey: signingKey, now: now) else {
                    return AuditPruneResult(segmentsRemoved: 0, recordsRemoved: 0, pruneRecord: nil)
                }
                // The prune row first: the delete trigger allows removing only records it covers.
                try db.execute(sql: """
                    INSERT INTO audit_prune (id, through_segment, through_sequence, cutoff_ms, pruned_at_ms, key_id, signature)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [record.id, record.throughSegment, record.throughSequence, cutoffMilliseconds,
                                     AuditTime.milliseconds(record.prunedAt), record.keyID, Data(record.signature)])
                try db.execute(sql: "DELETE FROM audit_record WHERE sequence <= ?", arguments: [record.throughSequence])
                return AuditPruneResult(segmentsRemoved: segments, recordsRemoved: db.changesCount, pruneRecord: record)
            }
        }
    }

    // MARK: Transactions

    func write<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do { return try pool.writeImmediate(body) } catch { throw AuditLog.storageError(error) }
    }

    func read<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do { return try pool.read(body) } catch { throw AuditLog.storageError(error) }
    }
}
