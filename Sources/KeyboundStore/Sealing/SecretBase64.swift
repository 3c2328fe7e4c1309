import Keybound

/// Standard base64 (RFC 4648 §4, padding optional) decoded from and into ``Keybound/LockedBytes``
/// pointers, for secrets read from files: unlike `Data(base64Encoded:)`, it makes no copy on the
/// ordinary heap. White space around the text is ignored; inside it, anything but the alphabet is refused.
enum SecretBase64 {
    /// The decoded bytes, in locked memory, or `nil` for text that is not base64.
    static func decode(_ text: UnsafeRawBufferPointer) -> LockedBytes? {
        var start = 0, end = text.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while start < end, isSpace(text[start]) { start += 1 }
        while end > start, isSpace(text[end - 1]) { end -= 1 }
        var padding = 0
        while end > start, text[end - 1] == UInt8(ascii: "="), padding < 2 { end -= 1; padding += 1 }
        let length = end - start
        guard length > 0, length % 4 != 1, padding == 0 || (length + padding) % 4 == 0 else { return nil }
        let output = LockedBytes(count: length * 3 / 4)
        let valid = output.withUnsafeMutableBytes { out -> Bool in
            var accumulator: UInt32 = 0, bits = 0, written = 0
            for index in start..<end {
                guard let value = sextet(text[index]) else { return false }
                accumulator = (accumulator << 6) | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                    written += 1
                }
            }
            accumulator = 0
            return written == out.count
        }
        return valid ? output : nil
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
