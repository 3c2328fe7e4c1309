import Foundation
import KeyboundAudit

/// An audit record read through the log's storage (PostgreSQL, or any other backend), laid out
/// for the scan: its text values are copied, as UTF-8, into one buffer that the row owns and
/// reuses from record to record, so a text's pointer is stable until the next ``load(_:)``. The
/// item ids (read only when a traced key's request was served) are written out as stored, as a
/// JSON array, only when asked for.
final class RecordScanRow: HuntScanRow {
    private(set) var sequence: Int64 = 0
    private(set) var timeMilliseconds: Int64 = 0
    private(set) var allowed = false
    private(set) var verified = false
    private(set) var expiresMilliseconds: Int64?

    /// Where each column's bytes start in the buffer, and how many there are (start -1: no value).
    private var spans = [(start: Int, count: Int)](repeating: (-1, 0), count: 14)
    private var buffer: UnsafeMutableRawPointer
    private var capacity = 4_096
    private var used = 0
    private var itemIDs: [String] = []
    /// The item ids' stored text, written on first use for the row (count -1: not yet).
    private var itemBuffer: UnsafeMutableRawPointer
    private var itemCapacity = 1_024
    private var itemCount = -1

    init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        itemBuffer = UnsafeMutableRawPointer.allocate(byteCount: itemCapacity, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        itemBuffer.deallocate()
    }

    /// Makes `record` the current row.
    func load(_ record: AuditRecord) {
        sequence = record.sequence
        timeMilliseconds = HuntTime.milliseconds(record.time)
        allowed = record.verdict == .allowed
        verified = record.attribution == .verified || (record.attribution == nil && record.verdict == .allowed)
        expiresMilliseconds = record.tokenExpiresAt.map(HuntTime.milliseconds)
        itemIDs = record.itemIDs
        itemCount = -1
        func size(_ text: String?) -> Int { text?.utf8.count ?? 0 }
        let needed = size(record.rejectionCode) + size(record.claimsDigest) + size(record.tokenIssuer) + size(record.tokenKeyID)
            + size(record.clientID) + size(record.tenant) + size(record.resource) + size(record.tenantIssuer)
        if needed > capacity {
            buffer.deallocate()
            capacity = max(needed, capacity * 2)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }
        used = 0
        put(.rejectionCode, record.rejectionCode)
        put(.digest, record.claimsDigest)
        put(.issuer, record.tokenIssuer)
        put(.keyID, record.tokenKeyID)
        put(.clientID, record.clientID)
        put(.tenant, record.tenant)
        put(.mailbox, record.resource)
        put(.tenantIssuer, record.tenantIssuer)
    }

    private func put(_ column: HuntScanColumn, _ text: String?) {
        guard var text else {
            spans[Int(column.rawValue)] = (-1, 0)
            return
        }
        let start = used
        let count = text.withUTF8 { bytes in
            if let base = bytes.baseAddress { (buffer + start).copyMemory(from: base, byteCount: bytes.count) }
            return bytes.count
        }
        used += count
        spans[Int(column.rawValue)] = (start, count)
    }

    func text(_ column: HuntScanColumn) -> (UnsafeRawPointer?, Int) {
        if column == .itemIDs { return items() }
        let span = spans[Int(column.rawValue)]
        guard span.start >= 0 else { return (nil, 0) }
        return (span.count == 0 ? UnsafeRawPointer(bitPattern: 1) : UnsafeRawPointer(buffer + span.start), span.count)
    }

    /// The item ids as stored (a JSON array), written on first use for this row.
    private func items() -> (UnsafeRawPointer?, Int) {
        if itemCount < 0 {
            var text = AuditRecord.storedListText(itemIDs)
            let count = text.utf8.count
            if count > itemCapacity {
                itemBuffer.deallocate()
                itemCapacity = max(count, itemCapacity * 2)
                itemBuffer = UnsafeMutableRawPointer.allocate(byteCount: itemCapacity, alignment: 8)
            }
            text.withUTF8 { bytes in
                if let base = bytes.baseAddress { itemBuffer.copyMemory(from: base, byteCount: bytes.count) }
            }
            itemCount = count
        }
        return (UnsafeRawPointer(itemBuffer), itemCount)
    }
}
