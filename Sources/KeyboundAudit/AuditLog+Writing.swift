import Foundation
import GRDB
import KeyboundSQLite

/// The head of the chain as committed: read inside each write transaction, never cached.
struct AuditHead {
    /// The last record's sequence number (0 for an empty log).
    var sequence: Int64
    /// The chain hash after it (the genesis hash for an empty log).
    var hash: [UInt8]
    /// The last checkpoint, if any.
    var lastCheckpoint: AuditCheckpoint?

    /// The first sequence number not yet covered by a checkpoint.
    var uncheckpointedFrom: Int64 { (lastCheckpoint?.lastSequence ?? 0) + 1 }

    static func read(_ db: Database) throws -> AuditHead {
        let checkpoint = try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment DESC LIMIT 1")
            .map(AuditCheckpoint.init(row:))
        if let row = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_record ORDER BY sequence DESC LIMIT 1") {
            guard let sequence = AuditStoredFields.sequence(row) else { throw AuditError(.storage, "the audit log's last record has no sequence number") }
            if let checkpoint, sequence < checkpoint.lastSequence {
                throw AuditError(.storage, "the audit log ends at record \(sequence) but checkpoint \(checkpoint.segment) covers \(checkpoint.lastSequence); run `keybound audit verify`")
            }
            return AuditHead(sequence: sequence, hash: AuditStoredFields.hash(row), lastCheckpoint: checkpoint)
        }
        // Empty: new, or every segment pruned (pruning never removes uncheckpointed records).
        return AuditHead(sequence: checkpoint?.lastSequence ?? 0, hash: checkpoint?.lastHash ?? AuditCanonical.genesis,
                         lastCheckpoint: checkpoint)
    }
}

extension AuditLog {
    static let insertSQL = """
        INSERT INTO audit_record (sequence, \(AuditColumns.names), hash)
        VALUES (?, \(AuditColumns.all.map { _ in "?" }.joined(separator: ", ")), ?)
        """

    /// Appends every group of `groups` in order inside the current transaction, signing a checkpoint
    /// each time a segment fills up; returns the groups with sequence numbers and hashes.
    func insert(_ groups: [[AuditRecord]], into db: Database) throws -> [[AuditRecord]] {
        try Self.insert(groups, into: db, signingKey: signingKey, checkpointInterval: configuration.checkpointInterval)
    }

    /// ``insert(_:into:)`` for the group-commit writer, which must not hold on to the log itself.
    static func insert(_ groups: [[AuditRecord]], into db: Database, signingKey: AuditSigningKey,
                       checkpointInterval: Int) throws -> [[AuditRecord]] {
        var head = try AuditHead.read(db)
        let statement = try db.cachedStatement(sql: Self.insertSQL)
        let interval = Int64(checkpointInterval)
        var result: [[AuditRecord]] = []
        result.reserveCapacity(groups.count)
        for group in groups {
            var appended: [AuditRecord] = []
            appended.reserveCapacity(group.count)
            for var record in group {
                let sequence = head.sequence + 1
                let fields = record.canonicalFields
                let hash = AuditCanonical.hash(previous: head.hash, sequence: sequence, fields: fields)
                try statement.execute(arguments: AuditStoredFields.arguments(sequence: sequence, fields: fields, hash: hash))
                head.sequence = sequence
                head.hash = hash
                record.sequence = sequence
                record.hash = hash
                appended.append(record)
                if sequence - head.uncheckpointedFrom + 1 >= interval {
                    head.lastCheckpoint = try signCheckpoint(db, head: head, now: Date(), signingKey: signingKey)
                }
            }
            result.append(appended)
        }
        return result
    }

    /// Signs and stores the checkpoint closing the segment that ends at `head`.
    static func signCheckpoint(_ db: Database, head: AuditHead, now: Date, signingKey: AuditSigningKey) throws -> AuditCheckpoint {
        let first = head.uncheckpointedFrom
        let times = try Row.fetchOne(db, sql: "SELECT MIN(time_ms) AS oldest, MAX(time_ms) AS newest FROM audit_record WHERE sequence BETWEEN ? AND ?",
                                     arguments: [first, head.sequence]).map(RowValues.init)
        let oldest = times?.integer("oldest") ?? 0
        let newest = times?.integer("newest") ?? 0
        var checkpoint = AuditCheckpoint(
            segment: (head.lastCheckpoint?.segment ?? 0) + 1, firstSequence: first, lastSequence: head.sequence,
            recordCount: head.sequence - first + 1, previousHash: head.lastCheckpoint?.lastHash ?? AuditCanonical.genesis,
            lastHash: head.hash, oldestRecordTime: AuditTime.date(oldest), newestRecordTime: AuditTime.date(newest),
            createdAt: AuditTime.date(AuditTime.milliseconds(now)), keyID: signingKey.publicKey.keyID, signature: [])
        checkpoint.signature = try signingKey.sign(checkpoint.signedBytes)
        try db.execute(sql: """
            INSERT INTO audit_checkpoint (segment, first_sequence, last_sequence, record_count, previous_hash, last_hash,
                oldest_record_ms, newest_record_ms, created_at_ms, key_id, signature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [checkpoint.segment, checkpoint.firstSequence, checkpoint.lastSequence, checkpoint.recordCount,
                             Data(checkpoint.previousHash), Data(checkpoint.lastHash), oldest, newest,
                             AuditTime.milliseconds(checkpoint.createdAt), checkpoint.keyID, Data(checkpoint.signature)])
        return checkpoint
    }

    /// Signs a checkpoint over the records appended since the last one, now, and returns it; with
    /// nothing new, returns the last checkpoint (`nil` for a log that never had a record).
    ///
    /// Call it on shutdown and before exporting checkpoints, so the tail is covered too.
    @discardableResult
    public func checkpoint(now: Date = Date()) async throws(AuditError) -> AuditCheckpoint? {
        let signingKey = signingKey
        do {
            return try await pool.writeImmediate { db in
                let head = try AuditHead.read(db)
                return head.sequence >= head.uncheckpointedFrom
                    ? try Self.signCheckpoint(db, head: head, now: now, signingKey: signingKey) : head.lastCheckpoint
            }
        } catch {
            throw Self.storageError(error)
        }
    }
}
