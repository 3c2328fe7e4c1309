import Foundation
internal import GRDB
package import KeyboundPostgres
internal import KeyboundSQLite

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
    ///   - directory: the folder that holds `audit.sqlite`.
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
            return try queue.read { db in
                try verify(SQLiteVerificationSource(db: db), trustedKeyID: trustedKeyID, anchor: anchor)
            }
        } catch {
            throw AuditLog.storageError(error)
        }
    }

    /// Verifies the log kept in `database` (PostgreSQL), as ``verify(directory:trustedKeyID:anchor:)``
    /// does a file: in pages of one snapshot, on a thread of its own (the walk is synchronous and
    /// CPU-bound).
    package static func verify(database: PostgresBackend, trustedKeyID: String? = nil,
                               anchor: AuditCheckpoint? = nil) async throws(AuditError) -> AuditVerificationReport {
        let result: Result<AuditVerificationReport, AuditError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(AuditError) in
                    do {
                        let source = PostgresVerificationSource(database: database)
                        defer { source.close() }
                        return try verify(source, trustedKeyID: trustedKeyID, anchor: anchor)
                    } catch {
                        throw AuditLog.storageError(error)
                    }
                })
            }
        }
        return try result.get()
    }

    static func verify<Source: AuditVerificationSource>(_ source: Source, trustedKeyID: String?,
                                                        anchor: AuditCheckpoint?) throws -> AuditVerificationReport {
        var report = AuditVerificationReport()
        if let missing = try source.missingTable() {
            report.problem = .structure("table \(missing) is missing")
            return report
        }
        let keys = trustedKeys(try source.keys(), pinned: trustedKeyID)
        let checkpoints = try source.checkpoints()
        let prunes = try source.pruneRecords()

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

        var walk = ChainWalk(next: { try source.nextRecord() }, checkpoints: chain.valid, start: pruned.throughSequence + 1, startHash: pruned.startHash,
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
    static func trustedKeys(_ rows: [AuditKeyRow], pinned: String?) -> [String: AuditPublicKey] {
        var keys: [String: AuditPublicKey] = [:]
        for row in rows {
            guard row.algorithm == AuditPublicKey.algorithm, let key = try? AuditPublicKey(rawRepresentation: row.publicKey),
                  key.keyID == row.keyID, pinned == nil || pinned == key.keyID else { continue }
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

extension AuditLog {
    /// Verifies this log where it is kept (``AuditVerifier``: the SQLite file read-only, or the
    /// PostgreSQL tables), on a thread of its own, trusting only this log's own signing key when it
    /// has one (so a checkpoint signed by any other key is a problem, not a pass).
    public func verify() async throws(AuditError) -> AuditVerificationReport {
        let pinned = publicKey?.keyID
        if let postgres = storage as? PostgresAuditStorage {
            return try await AuditVerifier.verify(database: postgres.database, trustedKeyID: pinned)
        }
        guard let directory else { throw AuditError(.storage, "the audit log at \(location) cannot be verified here") }
        let result: Result<AuditVerificationReport, AuditError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(AuditError) in
                    try AuditVerifier.verify(directory: directory, trustedKeyID: pinned)
                })
            }
        }
        return try result.get()
    }
}
