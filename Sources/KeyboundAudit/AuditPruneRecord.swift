import Foundation
internal import GRDB

/// A signed record of one pruning: every segment up to ``throughSegment`` (records up to
/// ``throughSequence``) was removed because its newest record was older than ``cutoff``.
public struct AuditPruneRecord: Sendable, Equatable {
    /// The prune number, contiguous from 1.
    public var id: Int64
    /// The last segment removed (all earlier ones are removed too).
    public var throughSegment: Int64
    /// The last record removed.
    public var throughSequence: Int64
    /// Only segments whose newest record is older than this were removed.
    public var cutoff: Date
    /// When the pruning ran.
    public var prunedAt: Date
    /// The signing key's id.
    public var keyID: String
    /// The Ed25519 signature of ``signedBytes``.
    public var signature: [UInt8]

    /// `"KBAUDPR" 0x01`, then id, through segment, through sequence, cutoff and prune time in
    /// milliseconds (8 bytes big-endian each) and the key id (length and UTF-8).
    public var signedBytes: [UInt8] {
        var output: [UInt8] = Array("KBAUDPR".utf8) + [1]
        for value in [id, throughSegment, throughSequence, AuditTime.milliseconds(cutoff), AuditTime.milliseconds(prunedAt)] {
            AuditCanonical.appendInteger(value, to: &output)
        }
        AuditCanonical.appendText(keyID, to: &output)
        return output
    }

    init(id: Int64, throughSegment: Int64, throughSequence: Int64, cutoff: Date, prunedAt: Date, keyID: String, signature: [UInt8]) {
        self.id = id
        self.throughSegment = throughSegment
        self.throughSequence = throughSequence
        self.cutoff = cutoff
        self.prunedAt = prunedAt
        self.keyID = keyID
        self.signature = signature
    }

    init(row: Row) {
        let values = RowValues(row)
        self.init(id: values.integer("id"), throughSegment: values.integer("through_segment"),
                  throughSequence: values.integer("through_sequence"), cutoff: AuditTime.date(values.integer("cutoff_ms")),
                  prunedAt: AuditTime.date(values.integer("pruned_at_ms")), keyID: values.text("key_id"),
                  signature: values.bytes("signature"))
    }
}
