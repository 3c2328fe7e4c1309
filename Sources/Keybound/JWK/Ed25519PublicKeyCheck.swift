/// Import-time checks on Ed25519 public keys (RFC 8032 §5.1.3, and the small-order policy of
/// attack-catalog row 9).
///
/// These compare encodings only; all curve arithmetic stays in swift-crypto.
enum Ed25519PublicKeyCheck {
    /// Why the 32-byte encoding `key` must be refused, or `nil` if it may be used.
    static func refusal(for key: [UInt8]) -> String? {
        guard key.count == 32 else { return "an Ed25519 key is 32 bytes, not \(key.count)" }
        if isNonCanonical(key) { return "non-canonical Ed25519 point encoding (y ≥ p)" }
        if hasSmallOrder(key) { return "small-order Ed25519 point" }
        return nil
    }

    /// y (the low 255 bits, little-endian) is at least p = 2^255 − 19.
    static func isNonCanonical(_ key: [UInt8]) -> Bool {
        guard key[31] & 0x7F == 0x7F else { return false }
        for index in 1...30 where key[index] != 0xFF { return false }
        return key[0] >= 0xED
    }

    /// The encodings of the eight points of order dividing 8, with the sign bit cleared,
    /// plus the non-canonical encodings of y = 0 and y = 1 (p and p + 1).
    private static let smallOrderEncodings: [[UInt8]] = [
        // y = 0 (order 4)
        [UInt8](repeating: 0, count: 32),
        // y = 1, the identity (order 1)
        [0x01] + [UInt8](repeating: 0, count: 31),
        // order 8
        [0x26, 0xE8, 0x95, 0x8F, 0xC2, 0xB2, 0x27, 0xB0, 0x45, 0xC3, 0xF4, 0x89, 0xF2, 0xEF, 0x98, 0xF0,
         0xD5, 0xDF, 0xAC, 0x05, 0xD3, 0xC6, 0x33, 0x39, 0xB1, 0x38, 0x02, 0x88, 0x6D, 0x53, 0xFC, 0x05],
        // order 8
        [0xC7, 0x17, 0x6A, 0x70, 0x3D, 0x4D, 0xD8, 0x4F, 0xBA, 0x3C, 0x0B, 0x76, 0x0D, 0x10, 0x67, 0x0F,
         0x2A, 0x20, 0x53, 0xFA, 0x2C, 0x39, 0xCC, 0xC6, 0x4E, 0xC7, 0xFD, 0x77, 0x92, 0xAC, 0x03, 0x7A],
        // y = p − 1 (order 2)
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        // y = p (non-canonical 0)
        [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        // y = p + 1 (non-canonical 1)
        [0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
    ]

    static func hasSmallOrder(_ key: [UInt8]) -> Bool {
        var masked = key
        masked[31] &= 0x7F
        return smallOrderEncodings.contains(masked)
    }
}
