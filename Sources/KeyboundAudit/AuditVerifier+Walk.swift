internal import GRDB

/// One stored record as the verifier sees it: whatever the row holds.
struct StoredRecordRow: Sendable {
    let sequence: Int64?
    let fields: [CanonicalField]
    let hash: [UInt8]

    init(_ row: Row) {
        sequence = AuditStoredFields.sequence(row)
        fields = AuditStoredFields.fields(row)
        hash = AuditStoredFields.hash(row)
    }

    init(sequence: Int64?, fields: [CanonicalField], hash: [UInt8]) {
        self.sequence = sequence
        self.fields = fields
        self.hash = hash
    }

    /// Whether this row is the genuine record numbered `sequence` following chain hash `previous`.
    func fits(after previous: [UInt8], at sequence: Int64) -> Bool {
        hash.count == 32 && AuditCanonical.hash(previous: previous, sequence: sequence, fields: fields) == hash
    }
}

/// The record walk: recomputes the chain in sequence order and, at the first row that does not
/// fit, works out from its neighbours what happened to it.
struct ChainWalk {
    private let next: () throws -> StoredRecordRow?
    private let byLastSequence: [Int64: AuditCheckpoint]
    private let lastCheckpointed: Int64
    private let limit: Int64
    private var buffer: [StoredRecordRow] = []
    private var expected: Int64
    private var previous: [UInt8]
    private var beforePrevious: [UInt8]?

    /// Records whose hash matched.
    private(set) var recordsChecked: Int64 = 0
    /// The first record read.
    private(set) var firstSequence: Int64?
    /// The last record that matched.
    private(set) var lastSequence: Int64?

    /// A walk from record `start` after hash `startHash`, stopping before record `limit`, over the
    /// stored rows `next` gives in sequence order (`nil` at the end).
    init(next: @escaping () throws -> StoredRecordRow?, checkpoints: [AuditCheckpoint], start: Int64, startHash: [UInt8], limit: Int64) {
        self.next = next
        self.byLastSequence = Dictionary(checkpoints.map { ($0.lastSequence, $0) }, uniquingKeysWith: { first, _ in first })
        self.lastCheckpointed = checkpoints.last?.lastSequence ?? 0
        self.limit = limit
        self.expected = start
        self.previous = startHash
    }

    /// Walks every record; the first problem, or `nil`.
    mutating func run() throws -> AuditProblem? {
        while expected < limit, let row = try peek(0) {
            let sequence = row.sequence ?? expected
            if firstSequence == nil { firstSequence = sequence }
            if sequence < expected { return .recordInserted(sequence: sequence) }
            if sequence > expected { return .recordMissing(sequence: expected, count: sequence - expected) }
            guard row.fits(after: previous, at: expected) else { return try diagnose(row) }
            buffer.removeFirst()
            recordsChecked += 1
            lastSequence = expected
            beforePrevious = previous
            previous = row.hash
            expected += 1
            if let checkpoint = byLastSequence[expected - 1], checkpoint.lastHash != previous {
                return try checkpointMismatch(checkpoint)
            }
        }
        // Records a checkpoint covers were cut from the end.
        if expected < limit, lastCheckpointed >= expected {
            return .recordMissing(sequence: expected, count: lastCheckpointed - expected + 1)
        }
        return nil
    }

    private mutating func peek(_ index: Int) throws -> StoredRecordRow? {
        while buffer.count <= index {
            guard let row = try next() else { return nil }
            buffer.append(row)
        }
        return buffer[index]
    }

    /// `row`, numbered `expected`, does not follow `previous`: find out why.
    private mutating func diagnose(_ row: StoredRecordRow) throws -> AuditProblem {
        let position = expected
        // The genuine record for this position further on: reordered, or this row was inserted.
        for index in 1...AuditVerifier.window {
            guard let candidate = try peek(index) else { break }
            guard candidate.fits(after: previous, at: position) else { continue }
            let before = index == 1 ? candidate.hash : buffer[index - 1].hash
            if let other = candidate.sequence, row.fits(after: before, at: other) {
                return .recordsReordered(first: position, second: other)
            }
            return .recordInserted(sequence: position)
        }
        // The next record still chains from this one's stored hash (fields changed) or from its
        // recomputed hash (stored hash changed): this record was changed in place.
        let own = AuditCanonical.hash(previous: previous, sequence: position, fields: row.fields)
        if let next = try peek(1) {
            let nextSequence = next.sequence ?? position + 1
            if next.fits(after: row.hash, at: nextSequence) || next.fits(after: own, at: nextSequence) {
                return .recordChanged(sequence: position)
            }
            // The next record chains from this one only at a later number: records before this one
            // were deleted and the rest renumbered.
            for gap in 1...Int64(AuditVerifier.window) where next.fits(after: row.hash, at: nextSequence + gap) {
                return .recordMissing(sequence: position, count: gap)
            }
        } else if let checkpoint = byLastSequence[position], checkpoint.lastHash == row.hash || checkpoint.lastHash == own {
            return .recordChanged(sequence: position)
        }
        // This row is the genuine previous record: the row before it was inserted (with a correct
        // hash) and the rest renumbered.
        if let beforePrevious, row.fits(after: beforePrevious, at: position - 1) {
            return .recordInserted(sequence: position - 1)
        }
        return .recordChanged(sequence: position)
    }

    /// Every record of `checkpoint`'s segment followed the one before, yet the chain does not end
    /// at the signed hash.
    private mutating func checkpointMismatch(_ checkpoint: AuditCheckpoint) throws -> AuditProblem {
        // A forged record with a correct hash took the segment's last number; the genuine one follows.
        if let next = try peek(0), let beforePrevious,
           next.hash == checkpoint.lastHash || next.fits(after: beforePrevious, at: checkpoint.lastSequence) {
            return .recordInserted(sequence: checkpoint.lastSequence)
        }
        return .checkpointMismatch(segment: checkpoint.segment, firstSequence: checkpoint.firstSequence,
                                   lastSequence: checkpoint.lastSequence)
    }
}
