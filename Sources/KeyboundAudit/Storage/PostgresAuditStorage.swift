import Foundation
import Keybound
internal import KeyboundPostgres
import Logging
internal import PostgresNIO

/// The audit log on PostgreSQL, shared by every node: the tables of schema version 6, which the
/// key store's migrator creates (``AuditLog/open(database:signingKey:configuration:onBatch:)``
/// refuses a database without them).
///
/// Each append batch (group commit, as on SQLite) takes the log's transaction advisory lock
/// before it reads the head, so the writers of every node extend the chain one at a time, from
/// what the previous one committed: two nodes never fork it. Reads see one snapshot.
final class PostgresAuditStorage: AuditStorage {
    /// The advisory lock every audit write transaction takes first ("KB" 0x0601).
    static let writeLock: Int64 = 0x4B42_0000_0000_0601
    /// The most records one `INSERT` carries (PostgreSQL allows 65,535 parameters; a record binds 26).
    static let recordsPerStatement = 1_000

    let database: PostgresBackend
    /// `nil` for a log opened for reading only (``AuditLog/openForReading(database:)``).
    let signingKey: AuditSigningKey?
    let checkpointInterval: Int
    let writer: PostgresGroupCommit<[AuditRecord], [AuditRecord]>

    var location: String { database.settings.description }

    init(database: PostgresBackend, signingKey: AuditSigningKey?, configuration: AuditConfiguration,
         onBatch: @escaping @Sendable (Int, Double) -> Void) {
        self.database = database
        self.signingKey = signingKey
        let checkpointInterval = configuration.checkpointInterval
        self.checkpointInterval = checkpointInterval
        writer = PostgresGroupCommit(database: database, maximumBatch: configuration.maximumBatch, onBatch: onBatch) { groups, connection in
            try await Self.insert(groups, connection, logger: database.logger, signingKey: try Self.writable(signingKey),
                                  checkpointInterval: checkpointInterval)
        }
    }

    // MARK: Opening

    /// Refuses a database without the audit tables (schema version 6; this build writes the column of version 10).
    static func requireTables(in database: PostgresBackend) async throws(AuditError) {
        try await database.requireTable("audit_record", of: "audit", version: 10) { AuditError(.storage, $0) }
    }

    /// Records `key` as the log's signing key, or refuses a key the log does not know when it has
    /// one already (one key per log: every node opens the same sealed key).
    static func register(_ key: AuditSigningKey, in database: PostgresBackend) async throws(AuditError) {
        try await requireTables(in: database)
        let logger = database.logger
        try await auditCall {
            try await database.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(writeLock))", logger: logger)
                let known = try await connection.query("SELECT key_id FROM audit_key ORDER BY key_id", logger: logger)
                    .collect().map { try $0.makeRandomAccess()["key_id"].decode(String.self) }
                if known.contains(key.publicKey.keyID) { return }
                guard known.isEmpty else {
                    throw AuditError(.signingKey, "the audit log at \(database.settings) is signed by \(known.joined(separator: ", ")), not by the sealed audit key \(key.publicKey.keyID) this node opened")
                }
                try await connection.query("""
                    INSERT INTO audit_key (key_id, algorithm, public_key, created_at_ms)
                    VALUES (\(key.publicKey.keyID), \(AuditPublicKey.algorithm), \(ByteBuffer(bytes: key.publicKey.rawRepresentation)),
                            \(AuditTime.milliseconds(Date())))
                    """, logger: logger)
            }
        }
    }

    // MARK: Writing

    /// The signing key, or the refusal of a log opened for reading only.
    static func writable(_ key: AuditSigningKey?) throws(AuditError) -> AuditSigningKey {
        guard let key else { throw AuditError(.signingKey, "this audit log was opened for reading only: it cannot sign") }
        return key
    }

    func append(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        try await Self.auditCall { try await writer.submit(records) }
    }

    func appendAlone(_ records: [AuditRecord]) async throws(AuditError) -> [AuditRecord] {
        let signingKey = try Self.writable(signingKey), checkpointInterval = checkpointInterval, logger = database.logger
        return try await Self.auditCall {
            try await database.withTransaction { connection in
                try await Self.insert([records], connection, logger: logger, signingKey: signingKey, checkpointInterval: checkpointInterval)[0]
            }
        }
    }

    func checkpoint(now: Date) async throws(AuditError) -> AuditCheckpoint? {
        let signingKey = try Self.writable(signingKey), logger = database.logger
        return try await Self.auditCall {
            try await database.withTransaction { connection in
                var head = try await Self.lockedHead(connection, logger: logger, readingTimes: true)
                guard head.sequence >= head.uncheckpointedFrom else { return head.lastCheckpoint }
                let checkpoint = try AuditChain.closeSegment(&head, signingKey: signingKey, now: now)
                try await Self.insert(checkpoint, connection, logger: logger)
                return checkpoint
            }
        }
    }

    /// Appends every group inside the open transaction on `connection`, after taking the lock and
    /// reading the head.
    static func insert(_ groups: [[AuditRecord]], _ connection: PostgresConnection, logger: Logger,
                       signingKey: AuditSigningKey, checkpointInterval: Int) async throws -> [[AuditRecord]] {
        var head = try await lockedHead(connection, logger: logger)
        if AuditChain.closesSegment(head, appending: groups.reduce(0) { $0 + $1.count }, checkpointInterval: checkpointInterval) {
            head.openSegmentTimes = try await openSegmentTimes(connection, logger: logger, from: head.uncheckpointedFrom)
        }
        let written = try AuditChain.extend(&head, with: groups, checkpointInterval: checkpointInterval, signingKey: signingKey, now: Date())
        let records = written.groups.flatMap { $0 }
        var start = 0
        while start < records.count {
            let end = min(records.count, start + recordsPerStatement)
            try await insert(records[start..<end], connection, logger: logger)
            start = end
        }
        for checkpoint in written.checkpoints { try await insert(checkpoint, connection, logger: logger) }
        return written.groups
    }

    private static let recordColumns = "sequence, \(AuditColumns.names), hash"
    private static let recordColumnCount = AuditColumns.all.count + 2

    /// One multi-row `INSERT` for `records` (one round trip).
    private static func insert(_ records: ArraySlice<AuditRecord>, _ connection: PostgresConnection, logger: Logger) async throws {
        try await insertRows(records.map { ($0.sequence, $0.canonicalFields, $0.hash) }, connection, logger: logger)
    }

    /// One multi-row `INSERT` of rows given as their stored fields (`keybound migrate` copies
    /// rows exactly as they were stored).
    static func insertRows(_ rows: [(sequence: Int64, fields: [CanonicalField], hash: [UInt8])], _ connection: PostgresConnection,
                           logger: Logger) async throws {
        var binds = PostgresBindings(capacity: rows.count * recordColumnCount)
        for row in rows {
            binds.append(row.sequence)
            for field in row.fields {
                switch field {
                case .absent: binds.appendNull()
                case .text(let text): binds.append(text)
                case .integer(let value): binds.append(value)
                case .list(let items): binds.append(AuditStoredFields.listText(items))
                case .foreign: throw AuditError(.storage, "a record to write holds a value of no known type")
                }
            }
            binds.append(ByteBuffer(bytes: row.hash))
        }
        try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO audit_record (\(recordColumns)) VALUES \(valuesPlaceholders(rows: rows.count, columns: recordColumnCount))",
                                                 binds: binds), logger: logger)
    }

    static func insert(_ checkpoint: AuditCheckpoint, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO audit_checkpoint (segment, first_sequence, last_sequence, record_count, previous_hash, last_hash,
                oldest_record_ms, newest_record_ms, created_at_ms, key_id, signature)
            VALUES (\(checkpoint.segment), \(checkpoint.firstSequence), \(checkpoint.lastSequence), \(checkpoint.recordCount),
                    \(ByteBuffer(bytes: checkpoint.previousHash)), \(ByteBuffer(bytes: checkpoint.lastHash)),
                    \(AuditTime.milliseconds(checkpoint.oldestRecordTime)), \(AuditTime.milliseconds(checkpoint.newestRecordTime)),
                    \(AuditTime.milliseconds(checkpoint.createdAt)), \(checkpoint.keyID), \(ByteBuffer(bytes: checkpoint.signature)))
            """, logger: logger)
    }

    /// Takes the write lock for the rest of the transaction, then reads the head as committed.
    static func lockedHead(_ connection: PostgresConnection, logger: Logger, readingTimes: Bool = false) async throws -> AuditHead {
        try await connection.query("SELECT pg_advisory_xact_lock(\(writeLock))", logger: logger)
        return try await head(connection, logger: logger, readingTimes: readingTimes)
    }

    /// The head as committed; with the open segment's record times when `readingTimes`.
    static func head(_ connection: PostgresConnection, logger: Logger, readingTimes: Bool = false) async throws -> AuditHead {
        let checkpoint = try await rows("SELECT * FROM audit_checkpoint ORDER BY segment DESC LIMIT 1", connection, logger: logger)
            .first.map(checkpoint(from:))
        let last = try await rows("SELECT sequence, hash FROM audit_record ORDER BY sequence DESC LIMIT 1", connection, logger: logger)
            .first.map { row in (sequence: try row["sequence"].decode(Int64.self), hash: bytes(try row["hash"].decode(ByteBuffer.self))) }
        var head = try AuditHead.make(last: last, lastCheckpoint: checkpoint, openSegmentTimes: nil)
        if readingTimes { head.openSegmentTimes = try await openSegmentTimes(connection, logger: logger, from: head.uncheckpointedFrom) }
        return head
    }

    /// The oldest and newest record times of the records from `first` on.
    static func openSegmentTimes(_ connection: PostgresConnection, logger: Logger, from first: Int64) async throws -> ClosedRange<Int64>? {
        guard let times = try await rows("SELECT MIN(time_ms) AS oldest, MAX(time_ms) AS newest FROM audit_record WHERE sequence >= \(first)",
                                         connection, logger: logger).first,
              let oldest = try times["oldest"].decode(Int64?.self), let newest = try times["newest"].decode(Int64?.self), oldest <= newest else {
            return nil
        }
        return oldest...newest
    }

    // MARK: Reading

    static let selectSQL = "SELECT \(recordColumns) FROM audit_record"

    func records(after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord] {
        try await read { connection, logger in
            try await Self.rows(PostgresQuery(unsafeSQL: "\(Self.selectSQL) WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                                              binds: Self.bindings(sequence, Int64(limit))), connection, logger: logger).map(Self.record(from:))
        }
    }

    func records(of tenant: Tenant, resourceServer: String?, after sequence: Int64, limit: Int) async throws(AuditError) -> [AuditRecord] {
        try await read { connection, logger in
            var binds = PostgresBindings()
            binds.append(tenant.tenantID)
            binds.append(sequence)
            binds.append(tenant.issuer)
            binds.append(Int64(limit))
            binds.append(resourceServer)
            binds.append(AuditFormat.resourceServerBeforeFormat3)
            return try await Self.rows(PostgresQuery(unsafeSQL: """
                \(Self.selectSQL) WHERE tenant = $1 AND sequence > $2
                AND ((attribution = 'verified' AND tenant_issuer = $3) OR (attribution IS NULL AND verdict = 'allowed' AND token_iss = $3))
                AND ($5::text IS NULL OR COALESCE(resource_server, $6) = $5)
                ORDER BY sequence LIMIT $4
                """, binds: binds), connection, logger: logger).map(Self.record(from:))
        }
    }

    func checkpoints() async throws(AuditError) -> [AuditCheckpoint] {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM audit_checkpoint ORDER BY segment", connection, logger: logger).map(Self.checkpoint(from:))
        }
    }

    func pruneRecords() async throws(AuditError) -> [AuditPruneRecord] {
        try await read { connection, logger in
            try await Self.rows("SELECT * FROM audit_prune ORDER BY id", connection, logger: logger).map(Self.pruneRecord(from:))
        }
    }

    func lastSequence() async throws(AuditError) -> Int64 {
        try await read { connection, logger in try await Self.head(connection, logger: logger).sequence }
    }

    // MARK: Retention

    func prune(cutoffMilliseconds: Int64, now: Date) async throws(AuditError) -> AuditPruneResult {
        let signingKey = try Self.writable(signingKey), logger = database.logger
        return try await Self.auditCall {
            try await database.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
                let last = try await Self.rows("SELECT * FROM audit_prune ORDER BY id DESC LIMIT 1", connection, logger: logger)
                    .first.map(Self.pruneRecord(from:))
                let candidates = try await Self.rows("SELECT * FROM audit_checkpoint WHERE segment > \(last?.throughSegment ?? 0) ORDER BY segment",
                                                     connection, logger: logger).map(Self.checkpoint(from:))
                guard let (record, segments) = try AuditChain.prune(after: last, candidates: candidates, cutoffMilliseconds: cutoffMilliseconds,
                                                                    signingKey: signingKey, now: now) else {
                    return AuditPruneResult(segmentsRemoved: 0, recordsRemoved: 0, pruneRecord: nil)
                }
                // The prune row first: the delete trigger allows removing only records it covers.
                try await connection.query("""
                    INSERT INTO audit_prune (id, through_segment, through_sequence, cutoff_ms, pruned_at_ms, key_id, signature)
                    VALUES (\(record.id), \(record.throughSegment), \(record.throughSequence), \(cutoffMilliseconds),
                            \(AuditTime.milliseconds(record.prunedAt)), \(record.keyID), \(ByteBuffer(bytes: record.signature)))
                    """, logger: logger)
                let removed = try await connection.single(Int64.self, """
                    WITH removed AS (DELETE FROM audit_record WHERE sequence <= \(record.throughSequence) RETURNING 1)
                    SELECT count(*) FROM removed
                    """, logger: logger) ?? 0
                return AuditPruneResult(segmentsRemoved: segments, recordsRemoved: Int(removed), pruneRecord: record)
            }
        }
    }

    // MARK: Rows

    private func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(AuditError) -> T {
        let logger = database.logger
        return try await Self.auditCall { try await database.withReadTransaction { connection in try await body(connection, logger) } }
    }

    static func bindings(_ values: Int64...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }

    static func rows(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// Stored records as the verifier reads them, after `sequence`, at most `limit`: each row's
    /// fields exactly as stored (a list that is not a JSON array of strings stays foreign).
    static func storedRows(after sequence: Int64, limit: Int, _ connection: PostgresConnection, logger: Logger) async throws -> [StoredRecordRow] {
        try await rows(PostgresQuery(unsafeSQL: "\(selectSQL) WHERE sequence > $1 ORDER BY sequence LIMIT $2", binds: bindings(sequence, Int64(limit))),
                       connection, logger: logger).map { row in
            StoredRecordRow(sequence: try row[0].decode(Int64?.self), fields: try fields(row),
                            hash: (try row[hashColumn].decode(ByteBuffer?.self)).map(bytes) ?? [])
        }
    }

    /// Where `hash` is in a row of ``selectSQL`` (`sequence`, the fields in ``AuditColumns/all``
    /// order, then `hash`): cells are read by position, since reading one by name hashes the name.
    private static let hashColumn = AuditColumns.all.count + 1

    /// The fields of a row of ``selectSQL``, by position.
    static func fields(_ row: PostgresRandomAccessRow) throws -> [CanonicalField] {
        var fields: [CanonicalField] = []
        fields.reserveCapacity(AuditColumns.all.count)
        for (index, column) in AuditColumns.all.enumerated() {
            let cell = row[index + 1]
            switch column.kind {
            case .text: fields.append(try cell.decode(String?.self).map(CanonicalField.text) ?? .absent)
            case .integer: fields.append(try cell.decode(Int64?.self).map(CanonicalField.integer) ?? .absent)
            case .list: fields.append(try cell.decode(String?.self).map(AuditStoredFields.listField) ?? .absent)
            }
        }
        return fields
    }

    /// A record from a row of ``selectSQL``.
    static func record(from row: PostgresRandomAccessRow) throws -> AuditRecord {
        AuditRecord(sequence: try row[0].decode(Int64.self), fields: try fields(row), hash: bytes(try row[hashColumn].decode(ByteBuffer.self)))
    }

    static func checkpoint(from row: PostgresRandomAccessRow) throws -> AuditCheckpoint {
        AuditCheckpoint(
            segment: try row["segment"].decode(Int64.self), firstSequence: try row["first_sequence"].decode(Int64.self),
            lastSequence: try row["last_sequence"].decode(Int64.self), recordCount: try row["record_count"].decode(Int64.self),
            previousHash: bytes(try row["previous_hash"].decode(ByteBuffer.self)), lastHash: bytes(try row["last_hash"].decode(ByteBuffer.self)),
            oldestRecordTime: AuditTime.date(try row["oldest_record_ms"].decode(Int64.self)),
            newestRecordTime: AuditTime.date(try row["newest_record_ms"].decode(Int64.self)),
            createdAt: AuditTime.date(try row["created_at_ms"].decode(Int64.self)), keyID: try row["key_id"].decode(String.self),
            signature: bytes(try row["signature"].decode(ByteBuffer.self)))
    }

    static func pruneRecord(from row: PostgresRandomAccessRow) throws -> AuditPruneRecord {
        AuditPruneRecord(
            id: try row["id"].decode(Int64.self), throughSegment: try row["through_segment"].decode(Int64.self),
            throughSequence: try row["through_sequence"].decode(Int64.self), cutoff: AuditTime.date(try row["cutoff_ms"].decode(Int64.self)),
            prunedAt: AuditTime.date(try row["pruned_at_ms"].decode(Int64.self)), keyID: try row["key_id"].decode(String.self),
            signature: bytes(try row["signature"].decode(ByteBuffer.self)))
    }
}
