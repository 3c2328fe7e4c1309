import Crypto

/// One field of a record as it enters the canonical encoding.
///
/// Every field is written as a one-byte tag followed by its payload, so no two different records
/// (nor a `nil` and an empty value, nor a list and a string) share an encoding.
enum CanonicalField: Sendable, Equatable {
    /// `nil`: tag 0x00, no payload.
    case absent
    /// A string: tag 0x01, its UTF-8 length as a 32-bit big-endian integer, the UTF-8 bytes.
    case text(String)
    /// An integer: tag 0x02, eight bytes big-endian two's complement.
    case integer(Int64)
    /// A list of strings: tag 0x03, the count (32-bit big-endian), then each string as length + bytes.
    case list([String])
    /// A stored value of the wrong type (only the verifier builds these, from a tampered row):
    /// tag 0x04, length + a description. The writer never produces it, so such a row never fits the chain.
    case foreign([UInt8])
}

/// The canonical bytes of a record and the hash chain over them.
///
/// `canonical(record) = "KBAUDIT" 0x03 || sequence (8 bytes big-endian) || field_1 || … || field_25`
/// with the fields in ``AuditColumns/all`` order, and `hash_n = SHA-256(hash_{n-1} || canonical(record_n))`
/// from ``genesis`` (32 zero bytes). Older records keep the encoding they were written in:
/// - without `resource_server` (format 2): `"KBAUDIT" 0x02 || sequence || field_1 || … || field_24`;
/// - without it and the three format 2 fields (format 1): `"KBAUDIT" 0x01 || sequence || field_1 || … || field_21`.
///
/// Writers always set `attribution`, and the resource kit always sets `resource_server`, so a
/// record's version follows from its fields, and the version byte is hashed: a record cannot
/// change format unseen. One chain may hold all three formats.
enum AuditCanonical {
    /// The chain hash before record 1.
    static let genesis = [UInt8](repeating: 0, count: 32)
    /// The magic at the start of every canonical record, before the format version byte.
    static let magic: [UInt8] = Array("KBAUDIT".utf8)

    /// The canonical bytes of the record numbered `sequence` with `fields`.
    static func bytes(sequence: Int64, fields: [CanonicalField]) -> [UInt8] {
        let count: Int, version: UInt8
        if fields.dropFirst(AuditColumns.format2Count).contains(where: { $0 != .absent }) {
            (count, version) = (fields.count, 3)
        } else if fields.dropFirst(AuditColumns.format1Count).contains(where: { $0 != .absent }) {
            (count, version) = (AuditColumns.format2Count, 2)
        } else {
            (count, version) = (AuditColumns.format1Count, 1)
        }
        var output = magic + [version]
        output.reserveCapacity(512)
        appendInteger(sequence, to: &output)
        for field in fields.prefix(count) { append(field, to: &output) }
        return output
    }

    /// `SHA-256(previous || canonical)`.
    static func chain(_ previous: [UInt8], _ canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return Array(hasher.finalize())
    }

    /// The chain hash of the record numbered `sequence` with `fields` after `previous`.
    static func hash(previous: [UInt8], sequence: Int64, fields: [CanonicalField]) -> [UInt8] {
        chain(previous, bytes(sequence: sequence, fields: fields))
    }

    static func append(_ field: CanonicalField, to output: inout [UInt8]) {
        switch field {
        case .absent:
            output.append(0x00)
        case .text(let text):
            output.append(0x01)
            appendText(text, to: &output)
        case .integer(let value):
            output.append(0x02)
            appendInteger(value, to: &output)
        case .list(let items):
            output.append(0x03)
            appendLength(items.count, to: &output)
            for item in items { appendText(item, to: &output) }
        case .foreign(let description):
            output.append(0x04)
            appendLength(description.count, to: &output)
            output.append(contentsOf: description)
        }
    }

    static func appendText(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            appendLength(bytes.count, to: &output)
            output.append(contentsOf: bytes)
        }
    }

    static func appendLength(_ length: Int, to output: inout [UInt8]) {
        let value = UInt32(clamping: length)
        output.append(contentsOf: [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                                   UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }

    static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { output.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }
}
