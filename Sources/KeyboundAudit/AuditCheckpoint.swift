import Foundation
internal import GRDB
import Keybound

/// A signed checkpoint: it closes segment ``segment`` (records ``firstSequence`` through
/// ``lastSequence``) and commits to the chain hash before and after it.
///
/// Checkpoints are never deleted, not even when their segment's records are pruned, so the chain
/// of checkpoints runs unbroken from the genesis hash and ``AuditVerifier`` can prove the retained
/// records. Export them (``jsonObject``, `keybound audit checkpoints`) to anchor the log elsewhere.
public struct AuditCheckpoint: Sendable, Equatable {
    /// The segment number, contiguous from 1.
    public var segment: Int64
    /// The first record of the segment.
    public var firstSequence: Int64
    /// The last record of the segment.
    public var lastSequence: Int64
    /// The number of records (`lastSequence - firstSequence + 1`).
    public var recordCount: Int64
    /// The chain hash before the segment's first record (the previous checkpoint's ``lastHash``, or 32 zero bytes).
    public var previousHash: [UInt8]
    /// The chain hash after the segment's last record.
    public var lastHash: [UInt8]
    /// The earliest record time in the segment (decides, with ``newestRecordTime``, when it may be pruned).
    public var oldestRecordTime: Date
    /// The latest record time in the segment: it is pruned only once this is older than the cutoff.
    public var newestRecordTime: Date
    /// When the checkpoint was signed.
    public var createdAt: Date
    /// The signing key's ``AuditPublicKey/keyID``.
    public var keyID: String
    /// The Ed25519 signature of ``signedBytes``.
    public var signature: [UInt8]

    /// The bytes the signature covers: `"KBAUDCP" 0x01`, then segment, first and last sequence,
    /// record count (8 bytes big-endian each), previous and last hash (each a 4-byte length and the
    /// bytes), the oldest, newest and creation times in milliseconds (8 bytes each) and the key id
    /// (length and UTF-8).
    public var signedBytes: [UInt8] {
        var output: [UInt8] = Array("KBAUDCP".utf8) + [1]
        for value in [segment, firstSequence, lastSequence, recordCount] { AuditCanonical.appendInteger(value, to: &output) }
        for hash in [previousHash, lastHash] {
            AuditCanonical.appendLength(hash.count, to: &output)
            output.append(contentsOf: hash)
        }
        for time in [oldestRecordTime, newestRecordTime, createdAt] {
            AuditCanonical.appendInteger(AuditTime.milliseconds(time), to: &output)
        }
        AuditCanonical.appendText(keyID, to: &output)
        return output
    }

    /// The checkpoint as JSON (hashes in lowercase hex, signature in base64url, times in milliseconds):
    /// the form `keybound audit checkpoints` exports and `keybound audit verify --anchor` reads.
    public var jsonObject: JSONObject {
        JSONObject([
            "segment": .number(Double(segment)), "first_sequence": .number(Double(firstSequence)),
            "last_sequence": .number(Double(lastSequence)), "record_count": .number(Double(recordCount)),
            "previous_hash": .string(Hex.encode(previousHash)), "last_hash": .string(Hex.encode(lastHash)),
            "oldest_record_ms": .number(Double(AuditTime.milliseconds(oldestRecordTime))),
            "newest_record_ms": .number(Double(AuditTime.milliseconds(newestRecordTime))),
            "created_at_ms": .number(Double(AuditTime.milliseconds(createdAt))),
            "key_id": .string(keyID), "signature": .string(Base64URL.encode(signature)),
        ])
    }

    /// A checkpoint from its JSON form (``jsonObject``); `nil` if a member is missing or malformed.
    public init?(json object: JSONObject) {
        func integer(_ name: String) -> Int64? {
            guard let number = object[name]?.numberValue, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { return nil }
            return Int64(number)
        }
        guard let segment = integer("segment"), let first = integer("first_sequence"), let last = integer("last_sequence"),
              let count = integer("record_count"), let previous = object["previous_hash"]?.stringValue.flatMap(Hex.decode),
              let lastHash = object["last_hash"]?.stringValue.flatMap(Hex.decode), let oldest = integer("oldest_record_ms"),
              let newest = integer("newest_record_ms"), let created = integer("created_at_ms"),
              let keyID = object["key_id"]?.stringValue, let signature = object["signature"]?.stringValue.flatMap(Base64URL.decode)
        else { return nil }
        self.init(segment: segment, firstSequence: first, lastSequence: last, recordCount: count, previousHash: previous,
                  lastHash: lastHash, oldestRecordTime: AuditTime.date(oldest), newestRecordTime: AuditTime.date(newest),
                  createdAt: AuditTime.date(created), keyID: keyID, signature: signature)
    }

    /// A checkpoint.
    public init(segment: Int64, firstSequence: Int64, lastSequence: Int64, recordCount: Int64, previousHash: [UInt8],
                lastHash: [UInt8], oldestRecordTime: Date, newestRecordTime: Date, createdAt: Date, keyID: String,
                signature: [UInt8]) {
        self.segment = segment
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.recordCount = recordCount
        self.previousHash = previousHash
        self.lastHash = lastHash
        self.oldestRecordTime = oldestRecordTime
        self.newestRecordTime = newestRecordTime
        self.createdAt = createdAt
        self.keyID = keyID
        self.signature = signature
    }

    init(row: Row) {
        let values = RowValues(row)
        self.init(segment: values.integer("segment"), firstSequence: values.integer("first_sequence"),
                  lastSequence: values.integer("last_sequence"), recordCount: values.integer("record_count"),
                  previousHash: values.bytes("previous_hash"), lastHash: values.bytes("last_hash"),
                  oldestRecordTime: AuditTime.date(values.integer("oldest_record_ms")),
                  newestRecordTime: AuditTime.date(values.integer("newest_record_ms")),
                  createdAt: AuditTime.date(values.integer("created_at_ms")), keyID: values.text("key_id"),
                  signature: values.bytes("signature"))
    }
}
