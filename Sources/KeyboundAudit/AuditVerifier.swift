import Foundation
import GRDB
import KeyboundSQLite

/// Verifies an audit log offline: recomputes the hash chain from the first retained record,
/// checks that sequence numbers are contiguous, that every checkpoint and prune record is signed by
/// a trusted key and links to the previous one, and that each checkpoint's hash is the chain's;
/// reports the first problem precisely (see ``AuditProblem``).
///
/// It opens the database read-only and never needs the private key.
public enum AuditVerifier {
    /// How far ahead the verifier looks for a record's rightful place when one does not fit.
    static let window = 64

    /// Verifies the log in `directory` (`audit.sqlite`).
    ///
    /// - Parameters:
    ///   - trustedKeyID: pin the signing key (its ``AuditPublicKey/keyID``); otherwise the keys recorded
    ///     in the database are trusted, which proves integrity against anyone without the key file.
    ///   - anchor: a checkpoint exported earlier; the log must still hold it unchanged, which also
    ///     detects the tail being cut back to before it.
    /// - Throws: ``AuditError`` when the log cannot be read at all (no file, not SQLite).
    public static func verify(directory: URL, trustedKeyID: String? = nil,
                              anchor: AuditCheckpoint? = nil) throws(AuditError) -> AuditVerificationReport {
        let path = directory.appendingPathComponent(AuditLog.fileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditError(.storage, "no audit log at '\(path)'")
        }
        do {
            let queue = try SQLiteDatabase.openReadOnly(path: path)
            return try queue.read { db in try verify(db, trustedKeyID: trustedKeyID, anchor: anchor) }
        } catch {
            throw AuditLog.storageError(error)
        }
    }

    static func verify(_ db: Database, trustedKeyID: String?, anchor: AuditCheckpoint?) throws -> AuditVerificationReport {
        var report = AuditVerificationReport()
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        for table in ["audit_record", "audit_checkpoint", "audit_prune", "audit_key"] where !tables.contains(table) {
            report.problem = .structure("table \(table) is missing")
            return report
        }
        let keys = try trustedKeys(db, pinned: trustedKeyID)
        let checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment").map(AuditCheckpoint.init(row:))
        let prunes = try Row.fetchAll(db, sql: "SELECT * FROM audit_prune ORDER BY id").map(AuditPruneRecord.init(row:))

        // The checkpoint chain on its own: the first broken link and where it starts.
        let chain = CheckpointChain.check(checkpoints, keys: keys)
        report.checkpointsChecked = chain.valid.count
        report.keyIDs = Array(Set(chain.valid.map(\.keyID))).sorted()

        // Pruning: where the retained log must start, and from which hash.
        let pruned = PruneCheck.check(prunes, checkpoints: chain.valid, keys: keys)
        if let problem = chain.problem, problem.position <= pruned.throughSequence + 1 {
            report.problem = problem.problem
            return report
        }
        if let problem = pruned.problem {
            report.problem = problem
            return report
        }
        report.segmentsPruned = pruned.throughSegment

        var walk = ChainWalk(db: db, checkpoints: chain.valid, start: pruned.throughSequence + 1, startHash: pruned.startHash,
                             limit: chain.problem?.position ?? Int64.max)
        let walkProblem = try walk.run()
        report.recordsChecked = walk.recordsChecked
        report.firstSequence = walk.firstSequence
        report.lastSequence = walk.lastSequence
        if let walkProblem {
            report.problem = walkProblem
            return report
        }
        if let problem = chain.problem {
            report.problem = problem.problem
            return report
        }
        if let last = checkpoints.last, let lastSequence = walk.lastSequence {
            report.uncheckpointedRecords = max(0, lastSequence - last.lastSequence)
        } else {
            report.uncheckpointedRecords = walk.lastSequence ?? 0
        }
        if let anchor { report.problem = anchorProblem(anchor, checkpoints: checkpoints) }
        return report
    }

    /// The keys that may sign: those recorded in the log (each must match its id), or only the pinned one.
    static func trustedKeys(_ db: Database, pinned: String?) throws -> [String: AuditPublicKey] {
        var keys: [String: AuditPublicKey] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key_id, algorithm, public_key FROM audit_key") {
            let values = RowValues(row)
            guard values.text("algorithm") == AuditPublicKey.algorithm,
                  let key = try? AuditPublicKey(rawRepresentation: values.bytes("public_key")),
                  key.keyID == values.text("key_id"), pinned == nil || pinned == key.keyID else { continue }
            keys[key.keyID] = key
        }
        return keys
    }

    static func anchorProblem(_ anchor: AuditCheckpoint, checkpoints: [AuditCheckpoint]) -> AuditProblem? {
        guard let stored = checkpoints.first(where: { $0.segment == anchor.segment }) else {
            return .anchorMismatch(segment: anchor.segment, reason: "is missing from the log: checkpoints and records after checkpoint \(checkpoints.last?.segment ?? 0) were cut off")
        }
        guard stored.lastSequence == anchor.lastSequence, stored.lastHash == anchor.lastHash,
              stored.previousHash == anchor.previousHash, stored.signature == anchor.signature else {
            return .anchorMismatch(segment: anchor.segment, reason: "differs from the log's checkpoint \(stored.segment)")
        }
        return nil
    }
}
