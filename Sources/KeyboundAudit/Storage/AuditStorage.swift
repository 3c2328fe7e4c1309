import Foundation
import Keybound

/// Where an ``AuditLog`` keeps its rows: records, checkpoints and prune records. Storage knows
/// rows, not rules: the chain's arithmetic is ``AuditChain``'s, the signing key the log's.
///
/// Each backend must serialise its writers across threads and processes (SQLite's
/// `BEGIN IMMEDIATE`; PostgreSQL's advisory lock), read the head inside the writing
/// transaction, and never update a record, a checkpoint or a prune record, nor delete a record
/// that no prune record covers.
package protocol AuditStorage: Sendable {
    /// A description of where the log lives, with no secret (a file path, or a database URL
    /// without its password).
    var location: String { get }

    /// Appends `records` (normalized, in order, contiguously), shared with concurrent calls in one
    /// transaction; returns them numbered and hashed once durable.
    func append(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord]

    /// Appends `records` in a transaction of their own (for tools and tests).
    func appendAlone(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord]

    /// Closes the open segment with a signed checkpoint; the last checkpoint when nothing is open.
    func checkpoint(now: Date) async throws(AuditError) -> AuditCheckpoint?

    /// Records in sequence order after `sequence`, at most `limit`.
    func records(after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord]

    /// The records of `tenant`'s feed (see ``AuditLog/records(of:resourceServer:after:limit:)``).
    func records(of tenant: Tenant, resourceServer: String?, after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord]

    /// Every checkpoint, oldest first.
    func checkpoints() async throws(AuditError) -> [AuditCheckpoint]

    /// Every prune record, oldest first.
    func pruneRecords() async throws(AuditError) -> [AuditPruneRecord]

    /// The head's sequence number.
    func lastSequence() async throws(AuditError) -> Int64

    /// Removes the oldest whole segments whose records are all older than `cutoffMilliseconds`.
    func prune(cutoffMilliseconds: Int64, now: Date) async throws(AuditError) -> AuditPruneResult
}

extension AuditStorage {
    /// Runs `body`, turning any error into an ``AuditError`` (an ``AuditError`` passes unchanged).
    static func auditCall<T>(_ body: () async throws -> T) async throws(AuditError) -> T {
        do { return try await body() } catch { throw AuditLog.storageError(error) }
    }
}
