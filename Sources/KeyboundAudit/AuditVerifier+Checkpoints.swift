import Foundation

/// The chain of checkpoints on its own: contiguous segments from 1, each signed by a trusted key,
/// each starting where the previous one ended and from its hash.
struct CheckpointChain {
    /// A problem and the sequence number where it begins (the record walk stops there).
    struct Located {
        let position: Int64
        let problem: AuditProblem
    }

    /// The checkpoints before the first problem.
    var valid: [AuditCheckpoint] = []
    /// The first problem.
    var problem: Located?

    static func check(_ checkpoints: [AuditCheckpoint], keys: [String: AuditPublicKey]) -> CheckpointChain {
        var result = CheckpointChain()
        var expectedSegment: Int64 = 1
        var previousLast: Int64 = 0
        var previousHash = AuditCanonical.genesis
        for checkpoint in checkpoints {
            let position = previousLast + 1
            func fail(_ problem: AuditProblem) -> CheckpointChain {
                result.problem = Located(position: position, problem: problem)
                return result
            }
            if checkpoint.segment > expectedSegment { return fail(.checkpointMissing(segment: expectedSegment)) }
            if checkpoint.segment < expectedSegment {
                return fail(.checkpointInconsistent(segment: checkpoint.segment, reason: "its segment number repeats or goes back"))
            }
            guard let key = keys[checkpoint.keyID] else {
                return fail(.checkpointUntrustedKey(segment: checkpoint.segment, keyID: checkpoint.keyID))
            }
            guard key.isValidSignature(checkpoint.signature, for: checkpoint.signedBytes) else {
                return fail(.checkpointSignatureInvalid(segment: checkpoint.segment))
            }
            if checkpoint.firstSequence != position || checkpoint.lastSequence < checkpoint.firstSequence
                || checkpoint.recordCount != checkpoint.lastSequence - checkpoint.firstSequence + 1 {
                return fail(.checkpointInconsistent(segment: checkpoint.segment,
                                                    reason: "it covers records \(checkpoint.firstSequence) to \(checkpoint.lastSequence), but the previous checkpoint ended at \(previousLast)"))
            }
            if checkpoint.previousHash != previousHash {
                return fail(.checkpointInconsistent(segment: checkpoint.segment, reason: "it does not start from the previous checkpoint's hash"))
            }
            result.valid.append(checkpoint)
            expectedSegment += 1
            previousLast = checkpoint.lastSequence
            previousHash = checkpoint.lastHash
        }
        return result
    }
}

/// Signed prune records: how far the log was legitimately pruned.
struct PruneCheck {
    /// The last segment removed by pruning (0 when none).
    var throughSegment: Int64 = 0
    /// The last record removed by pruning (0 when none).
    var throughSequence: Int64 = 0
    /// The chain hash the retained records start from.
    var startHash = AuditCanonical.genesis
    /// The first problem.
    var problem: AuditProblem?

    static func check(_ prunes: [AuditPruneRecord], checkpoints: [AuditCheckpoint], keys: [String: AuditPublicKey]) -> PruneCheck {
        var result = PruneCheck()
        let bySegment = Dictionary(checkpoints.map { ($0.segment, $0) }, uniquingKeysWith: { first, _ in first })
        var expectedID: Int64 = 1
        for prune in prunes {
            func fail(_ reason: String) -> PruneCheck {
                result.problem = .pruneRecordInvalid(id: prune.id, reason: reason)
                return result
            }
            guard prune.id == expectedID else {
                return fail(prune.id > expectedID ? "prune record \(expectedID) before it is missing" : "its number repeats")
            }
            guard let key = keys[prune.keyID] else { return fail("it is signed by key \(prune.keyID), which is not trusted") }
            guard key.isValidSignature(prune.signature, for: prune.signedBytes) else { return fail("its signature is invalid") }
            guard prune.throughSegment > result.throughSegment, let checkpoint = bySegment[prune.throughSegment],
                  checkpoint.lastSequence == prune.throughSequence else {
                return fail("it does not end at a valid checkpoint after the previous pruning")
            }
            let cutoff = AuditTime.milliseconds(prune.cutoff)
            for segment in (result.throughSegment + 1)...prune.throughSegment {
                guard let removed = bySegment[segment], AuditTime.milliseconds(removed.newestRecordTime) < cutoff else {
                    return fail("segment \(segment) was not entirely older than its cutoff")
                }
            }
            result.throughSegment = prune.throughSegment
            result.throughSequence = prune.throughSequence
            result.startHash = checkpoint.lastHash
            expectedID += 1
        }
        return result
    }
}
