/// Fixed-width big-endian unsigned arithmetic on the scalars of ECDSA signatures, enough to
/// build r/s edge cases and the high-S twin without a big-integer library.
enum AttackECDSAMath {
    /// The order n of P-256.
    static let p256Order = AttackEncoding.hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
    /// The order n of P-384.
    static let p384Order = AttackEncoding.hex(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973")

    /// `a − b` for equal-width big-endian numbers with `a ≥ b`.
    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        precondition(a.count == b.count)
        var result = [UInt8](repeating: 0, count: a.count)
        var borrow = 0
        for index in stride(from: a.count - 1, through: 0, by: -1) {
            var difference = Int(a[index]) - Int(b[index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            result[index] = UInt8(difference)
        }
        precondition(borrow == 0, "subtract requires a ≥ b")
        return result
    }

    /// `a + b` for equal-width big-endian numbers, or `nil` on overflow of the width.
    static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8]? {
        precondition(a.count == b.count)
        var result = [UInt8](repeating: 0, count: a.count)
        var carry = 0
        for index in stride(from: a.count - 1, through: 0, by: -1) {
            let sum = Int(a[index]) + Int(b[index]) + carry
            result[index] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        return carry == 0 ? result : nil
    }

    /// The big-endian number `value` in `width` bytes.
    static func small(_ value: UInt8, width: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: width - 1) + [value]
    }

    /// Whether big-endian `a` > big-endian `b` (equal widths).
    static func greater(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x > y }
        return false
    }

    /// `a + b` for little-endian numbers of equal width, ignoring the final carry (Ed25519 scalars).
    static func addLittleEndian(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: a.count)
        var carry = 0
        for index in 0..<a.count {
            let sum = Int(a[index]) + Int(b[index]) + carry
            result[index] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        return result
    }

    /// The order L of the Ed25519 base point, little-endian.
    static let ed25519Order: [UInt8] = AttackEncoding.hex(
        "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed").reversed()
}
