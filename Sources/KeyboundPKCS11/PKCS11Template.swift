import CKeyboundPKCS11

/// An attribute template (`CK_ATTRIBUTE` array) built from Swift values, with its value bytes
/// kept in one buffer for the length of one call.
struct PKCS11Template: Sendable {
    private var entries: [(type: CK_ATTRIBUTE_TYPE, value: [UInt8])] = []

    init() {}

    /// Adds a `CK_BBOOL` attribute.
    mutating func add(_ type: CK_ATTRIBUTE_TYPE, _ flag: Bool) {
        entries.append((type, [flag ? UInt8(CK_TRUE) : UInt8(CK_FALSE)]))
    }

    /// Adds a `CK_ULONG` attribute (a class, a key type, a bit count).
    mutating func add(_ type: CK_ATTRIBUTE_TYPE, ulong: CK_ULONG) {
        entries.append((type, withUnsafeBytes(of: ulong) { Array($0) }))
    }

    /// Adds an array of mechanisms (`CKA_ALLOWED_MECHANISMS`).
    mutating func add(_ type: CK_ATTRIBUTE_TYPE, mechanisms: [CK_MECHANISM_TYPE]) {
        entries.append((type, mechanisms.withUnsafeBytes { Array($0) }))
    }

    /// Adds a byte-string attribute.
    mutating func add(_ type: CK_ATTRIBUTE_TYPE, bytes: [UInt8]) {
        entries.append((type, bytes))
    }

    /// Calls `body` with the `CK_ATTRIBUTE` array and its count; the pointers are valid only inside `body`.
    func withAttributes<R>(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) -> R) -> R {
        let total = entries.reduce(0) { $0 + ($1.value.count + 7) / 8 * 8 }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        defer { storage.deallocate() }
        var attributes: [CK_ATTRIBUTE] = []
        attributes.reserveCapacity(entries.count)
        var offset = 0
        for entry in entries {
            let start = storage.baseAddress! + offset
            entry.value.withUnsafeBytes { source in
                if let base = source.baseAddress { start.copyMemory(from: base, byteCount: source.count) }
            }
            attributes.append(CK_ATTRIBUTE(type: entry.type, pValue: start, ulValueLen: CK_ULONG(entry.value.count)))
            // Each value starts on an 8-byte boundary, as a CK_ULONG needs.
            offset += (entry.value.count + 7) / 8 * 8
        }
        return attributes.withUnsafeMutableBufferPointer { body($0.baseAddress, CK_ULONG($0.count)) }
    }
}
