/// A claims digest as the audit log and the ledger store it (64 lowercase hex characters), read
/// eight characters at a time without a lookup table, and kept as its first 128 bits.
///
/// 128 bits are plenty to tell issued payloads from others: a forger would need a second
/// preimage on SHA-256's first half to make an altered payload look issued.
struct DigestKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080
    private static let lowSeven: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// Parses 64 lowercase hex characters; `nil` for anything else.
    @inline(__always)
    static func parse(_ base: UnsafeRawPointer?, _ count: Int) -> DigestKey? {
        guard let base, count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var valid = true
        for index in 0..<8 {
            let word = base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            let (value, ok) = decode(UInt64(littleEndian: word))
            valid = valid && ok
            switch index {
            case 0: words.0 = UInt64(value) << 32
            case 1: words.0 |= UInt64(value)
            case 2: words.1 = UInt64(value) << 32
            case 3: words.1 |= UInt64(value)
            default: break  // validated, not kept
            }
        }
        return valid ? DigestKey(high: words.0, low: words.1) : nil
    }

    /// Parses a digest string.
    static func parse(_ text: String) -> DigestKey? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawPointer($0.baseAddress), $0.count) }
    }

    /// Eight hex characters (the first in the lowest byte) as a 32-bit value, and whether all
    /// eight are `0`–`9` or `a`–`f`.
    @inline(__always)
    static func decode(_ word: UInt64) -> (UInt32, Bool) {
        // Bytes strictly between m and n (Bit Twiddling Hacks, "hasbetween"); exact per byte below 0x80.
        @inline(__always) func between(_ x: UInt64, _ m: UInt64, _ n: UInt64) -> UInt64 {
            ((ones &* (127 + n) &- (x & lowSeven)) & ~x & ((x & lowSeven) &+ ones &* (127 - m))) & highBits
        }
        let ascii = word & highBits == 0
        let digits = between(word, 0x2F, 0x3A)
        let letters = between(word, 0x60, 0x67)
        let ok = ascii && (digits | letters) == highBits
        // '0'–'9' → 0–9; 'a'–'f' (bit 6 set) → 1–6 + 9.
        let nibbles = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ ((word >> 6) & ones) &* 9
        let pairs = ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F)
        let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF)
        let value = ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF)
        return (UInt32(truncatingIfNeeded: value), ok)
    }
}
