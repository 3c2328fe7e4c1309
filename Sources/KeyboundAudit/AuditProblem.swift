/// The first thing ``AuditVerifier`` found wrong with a log, as precisely as the chain allows.
public enum AuditProblem: Sendable, Equatable, CustomStringConvertible {
    /// The record numbered `sequence` is not the one that was appended (its fields, or its stored
    /// hash, were altered): the records around it still chain.
    case recordChanged(sequence: Int64)
    /// `count` records starting at `sequence` are missing: a gap in the sequence numbers, records
    /// renumbered to hide one, or records a checkpoint covers cut from the end.
    case recordMissing(sequence: Int64, count: Int64)
    /// The record numbered `sequence` was inserted: it does not belong to the chain (a forged row,
    /// a duplicate sequence number, or the rows after it renumbered to make room).
    case recordInserted(sequence: Int64)
    /// Records `first` and `second` exchanged places (their sequence numbers were swapped).
    case recordsReordered(first: Int64, second: Int64)
    /// Checkpoint `segment`'s signature does not verify with the log's key.
    case checkpointSignatureInvalid(segment: Int64)
    /// Checkpoint `segment` is signed by a key the log (or the pinned key id) does not trust.
    case checkpointUntrustedKey(segment: Int64, keyID: String)
    /// Checkpoint `segment` is missing (checkpoints are never deleted).
    case checkpointMissing(segment: Int64)
    /// Checkpoint `segment` is validly signed but does not link to the previous one.
    case checkpointInconsistent(segment: Int64, reason: String)
    /// The records of segment `segment` (`firstSequence` to `lastSequence`) chain among themselves
    /// but not to the checkpoint's signed hash: something in that range was changed, inserted or
    /// deleted and the stored hashes after it recomputed.
    case checkpointMismatch(segment: Int64, firstSequence: Int64, lastSequence: Int64)
    /// Prune record `id` is unsigned, forged, or does not match the checkpoints.
    case pruneRecordInvalid(id: Int64, reason: String)
    /// The exported checkpoint given as an anchor is missing from the log or differs from it.
    case anchorMismatch(segment: Int64, reason: String)
    /// The database is not a Keybound audit log any more (a table or the key is missing).
    case structure(String)

    /// A stable code for JSON output.
    public var code: String {
        switch self {
        case .recordChanged: "record_changed"
        case .recordMissing: "record_missing"
        case .recordInserted: "record_inserted"
        case .recordsReordered: "records_reordered"
        case .checkpointSignatureInvalid: "checkpoint_signature_invalid"
        case .checkpointUntrustedKey: "checkpoint_untrusted_key"
        case .checkpointMissing: "checkpoint_missing"
        case .checkpointInconsistent: "checkpoint_inconsistent"
        case .checkpointMismatch: "checkpoint_mismatch"
        case .pruneRecordInvalid: "prune_record_invalid"
        case .anchorMismatch: "anchor_mismatch"
        case .structure: "structure"
        }
    }

    /// The record's sequence number the problem is at, when there is one.
    public var sequence: Int64? {
        switch self {
        case .recordChanged(let sequence), .recordMissing(let sequence, _), .recordInserted(let sequence): sequence
        case .recordsReordered(let first, _): first
        case .checkpointMismatch(_, let first, _): first
        default: nil
        }
    }

    /// The checkpoint's segment number, for checkpoint and anchor problems.
    public var segment: Int64? {
        switch self {
        case .checkpointSignatureInvalid(let segment), .checkpointUntrustedKey(let segment, _), .checkpointMissing(let segment),
             .checkpointInconsistent(let segment, _), .checkpointMismatch(let segment, _, _), .anchorMismatch(let segment, _):
            segment
        default: nil
        }
    }

    /// One line: `record 1234 was changed`, `records 1233 and 1234 are out of order`, ….
    public var description: String {
        switch self {
        case .recordChanged(let sequence):
            "record \(sequence) was changed"
        case .recordMissing(let sequence, let count):
            count == 1 ? "record \(sequence) is missing (deleted)"
                : "records \(sequence) to \(sequence + count - 1) are missing (deleted)"
        case .recordInserted(let sequence):
            "record \(sequence) was inserted / does not belong"
        case .recordsReordered(let first, let second):
            "records \(first) and \(second) are out of order"
        case .checkpointSignatureInvalid(let segment):
            "checkpoint \(segment) signature invalid"
        case .checkpointUntrustedKey(let segment, let keyID):
            "checkpoint \(segment) is signed by key \(keyID), which is not a trusted key of this log"
        case .checkpointMissing(let segment):
            "checkpoint \(segment) is missing (deleted)"
        case .checkpointInconsistent(let segment, let reason):
            "checkpoint \(segment) is inconsistent: \(reason)"
        case .checkpointMismatch(let segment, let first, let last):
            "checkpoint \(segment) does not match records \(first) to \(last): a record in that range was changed, inserted or deleted and the hashes after it rewritten"
        case .pruneRecordInvalid(let id, let reason):
            "prune record \(id) is invalid: \(reason)"
        case .anchorMismatch(let segment, let reason):
            "exported checkpoint \(segment) \(reason)"
        case .structure(let reason):
            "not an intact audit log: \(reason)"
        }
    }
}
