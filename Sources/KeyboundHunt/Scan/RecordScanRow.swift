import Foundation
import KeyboundAudit

/// An audit record read through the log's storage (PostgreSQL, or any other backend), laid out
/// for the scan: its text values are copied, as UTF-8, into one buffer that the row owns and
/// reuses from record to record, so a text's pointer is stable until the next ``load(_:)``.
final class RecordScanRow: HuntScanRow {
    private(set) var sequence: Int64 = 0
    private(set) var timeMilliseconds: Int64 = 0
    private(set) var allowed = false
    private(set) var verified = false
    private(set) var expiresMilliseconds: Int64?

    /// Where each column's bytes start in the buffer, and how many there are (start -1: no value).
    private var spans = [(start: Int, count: Int)](repeating: (-1, 0), count: 14)
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0

    init() {
        capacity = 4_096
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Makes `record` the current row.
    func load(_ record: AuditRecord) {
        sequence = record.sequence
        timeMilliseconds = HuntTime.milliseconds(record.time)
        allowed = record.verdict == .allowed
        verified = record.attribution == .verified || (record.attribution == nil && record.verdict == .allowed)
        expiresMilliseconds = record.tokenExpiresAt.map(HuntTime.milliseconds)
        let texts: [(HuntScanColumn, String?)] = [
            (.rejectionCode, record.rejectionCode), (.digest, record.claimsDigest), (.issuer, record.tokenIssuer),
            (.keyID, record.tokenKeyID), (.clientID, record.clientID), (.tenant, record.tenant), (.mailbox, record.mailbox),
            (.tenantIssuer, record.tenantIssuer), (.itemIDs, AuditRecord.storedListText(record.itemIDs)),
        ]
        var needed = 0
        for (_, text) in texts { needed += text?.utf8.count ?? 0 }
        if needed > capacity {
            buffer.deallocate()
            capacity = max(needed, capacity * 2)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }
        used = 0
        for index in spans.indices { spans[index] = (-1, 0) }
        for (column, text) in texts {
            guard var text else { continue }
            let start = used
            text.withUTF8 { bytes in
                if let base = bytes.baseAddress { (buffer + start).copyMemory(from: base, byteCount: bytes.count) }
            }
            used += text.utf8.count
            spans[Int(column.rawValue)] = (start, used - start)
        }
    }

    func text(_ column: HuntScanColumn) -> (UnsafeRawPointer?, Int) {
        let span = spans[Int(column.rawValue)]
        guard span.start >= 0 else { return (nil, 0) }
        return (span.count == 0 ? UnsafeRawPointer(bitPattern: 1) : UnsafeRawPointer(buffer + span.start), span.count)
    }
}
