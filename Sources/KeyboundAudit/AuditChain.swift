import Foundation

/// The head of the chain as committed, read inside each write transaction and never cached: the
/// one input both backends give ``AuditChain``, so a record hashes and a segment closes the same
/// way on SQLite and on PostgreSQL.
struct AuditHead: Sendable {
    /// The last record's sequence number (0 for an empty log).
    var sequence: Int64
    /// The chain hash after it (the genesis hash for an empty log).
    var hash: [UInt8]
    /// The last checkpoint, if any.
    var lastCheckpoint: AuditCheckpoint?
    /// The oldest and newest record times (ms) of the open segment (the records after the last
    /// checkpoint), or `nil` when it holds none. Read from the database only when a segment
    /// closes (``AuditChain/closesSegment(_:appending:checkpointInterval:)``): a batch that closes
    /// none has no use for them.
    var openSegmentTimes: ClosedRange<Int64>?

    /// The first sequence number not yet covered by a checkpoint.
    var uncheckpointedFrom: Int64 { (lastCheckpoint?.lastSequence ?? 0) + 1 }

    /// The head of a log whose last stored record is (`sequence`, `hash`), or of one with no
    /// record left (new, or every segment pruned: pruning never removes uncheckpointed records).
    static func make(last: (sequence: Int64, hash: [UInt8])?, lastCheckpoint: AuditCheckpoint?,
                     openSegmentTimes: ClosedRange<Int64>?) throws(AuditError) -> AuditHead {
        guard let last else {
            return AuditHead(sequence: lastCheckpoint?.lastSequence ?? 0, hash: lastCheckpoint?.lastHash ?? AuditCanonical.genesis,
                             lastCheckpoint: lastCheckpoint, openSegmentTimes: nil)
        }
        if let lastCheckpoint, last.sequence < lastCheckpoint.lastSequence {
            throw AuditError(.storage, "the audit log ends at record \(last.sequence) but checkpoint \(lastCheckpoint.segment) covers \(lastCheckpoint.lastSequence); run `keybound audit verify`")
        }
        return AuditHead(sequence: last.sequence, hash: last.hash, lastCheckpoint: lastCheckpoint, openSegmentTimes: openSegmentTimes)
    }
}

/// What one write transaction adds to the log: the records with their numbers and hashes, and the
/// checkpoints that closed segments on the way.
struct AuditChainExtension: Sendable {
    /// Each group's records, numbered and hashed, in the order given.
    var groups: [[AuditRecord]] = []
    /// The checkpoints signed, in segment order.
    var checkpoints: [AuditCheckpoint] = []
}

/// The chain's arithmetic, with no storage: numbering and hashing records after the head, and
/// signing a checkpoint each time a segment fills up. A backend reads the head inside its write
/// transaction (serialised across writers), calls this, and writes what it returns.
enum AuditChain {
    /// Whether appending `count` records after `head` closes its open segment, so that the
    /// segment's stored record times must be read first.
    static func closesSegment(_ head: AuditHead, appending count: Int, checkpointInterval: Int) -> Bool {
        head.sequence + Int64(count) - head.uncheckpointedFrom + 1 >= Int64(checkpointInterval)
    }

    /// Appends every group of `groups` after `head` (updated to the new head), closing a segment
    /// each time it reaches `checkpointInterval` records.
    static func extend(_ head: inout AuditHead, with groups: [[AuditRecord]], checkpointInterval: Int,
                       signingKey: AuditSigningKey, now: Date) throws(AuditError) -> AuditChainExtension {
        var result = AuditChainExtension()
        result.groups.reserveCapacity(groups.count)
        let interval = Int64(checkpointInterval)
        for group in groups {
            var appended: [AuditRecord] = []
            appended.reserveCapacity(group.count)
            for var record in group {
                let sequence = head.sequence + 1
                let hash = AuditCanonical.hash(previous: head.hash, sequence: sequence, fields: record.canonicalFields)
                head.sequence = sequence
                head.hash = hash
                let time = AuditTime.milliseconds(record.time)
                head.openSegmentTimes = head.openSegmentTimes.map { min($0.lowerBound, time)...max($0.upperBound, time) } ?? time...time
                record.sequence = sequence
                record.hash = hash
                appended.append(record)
                if sequence - head.uncheckpointedFrom + 1 >= interval {
                    result.checkpoints.append(try closeSegment(&head, signingKey: signingKey, now: now))
                }
            }
            result.groups.append(appended)
        }
        return result
    }

    /// Signs the checkpoint closing the open segment at `head` (which must hold a record), and
    /// makes it the head's last checkpoint.
    static func closeSegment(_ head: inout AuditHead, signingKey: AuditSigningKey, now: Date) throws(AuditError) -> AuditCheckpoint {
        let first = head.uncheckpointedFrom
        let times = head.openSegmentTimes ?? 0...0
        var checkpoint = AuditCheckpoint(
            segment: (head.lastCheckpoint?.segment ?? 0) + 1, firstSequence: first, lastSequence: head.sequence,
            recordCount: head.sequence - first + 1, previousHash: head.lastCheckpoint?.lastHash ?? AuditCanonical.genesis,
            lastHash: head.hash, oldestRecordTime: AuditTime.date(times.lowerBound), newestRecordTime: AuditTime.date(times.upperBound),
            createdAt: AuditTime.date(AuditTime.milliseconds(now)), keyID: signingKey.publicKey.keyID, signature: [])
        checkpoint.signature = try signingKey.sign(checkpoint.signedBytes)
        head.lastCheckpoint = checkpoint
        head.openSegmentTimes = nil
        return checkpoint
    }

    /// The prune that removes the oldest whole segments among `candidates` (checkpoints after the
    /// last prune, oldest first) whose newest record is older than `cutoff` (ms); `nil` when none is.
    static func prune(after last: AuditPruneRecord?, candidates: [AuditCheckpoint], cutoffMilliseconds: Int64,
                      signingKey: AuditSigningKey, now: Date) throws(AuditError) -> (record: AuditPruneRecord, segments: Int)? {
        let removable = candidates.prefix { AuditTime.milliseconds($0.newestRecordTime) < cutoffMilliseconds }
        guard let through = removable.last else { return nil }
        var record = AuditPruneRecord(
            id: (last?.id ?? 0) + 1, throughSegment: through.segment, throughSequence: through.lastSequence,
            cutoff: AuditTime.date(cutoffMilliseconds), prunedAt: AuditTime.date(AuditTime.milliseconds(now)),
            keyID: signingKey.publicKey.keyID, signature: [])
        record.signature = try signingKey.sign(record.signedBytes)
        return (record, removable.count)
    }
}
