/// Base64 decoded straight into secret memory: unlike `Data(base64Encoded:)` or
/// ``Base64URL/decode(_:)``, it makes no copy on the ordinary heap. For the KEK's file (standard
/// base64) and a sealed key's private members (base64url).
package enum SecretBase64 {
    /// Which 62nd and 63rd characters: `+` and `/` (RFC 4648 §4), or `-` and `_` (§5).
    package enum Alphabet: Sendable {
        case standard, url
    }

    /// Decodes unpadded `source` into `output`; the number of bytes written, or `nil` for a
    /// character outside the alphabet, an impossible length, or too small an `output`.
    package static func decode(_ source: UnsafeRawBufferPointer, alphabet: Alphabet,
                               into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard source.count % 4 != 1 else { return nil }
        let length = source.count / 4 * 3 + max(0, source.count % 4 - 1)
        guard length <= output.count else { return nil }
        var accumulator: UInt32 = 0, bits = 0, written = 0
        for character in source {
            guard let value = sextet(character, alphabet) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                written += 1
            }
        }
        accumulator = 0
        return written
    }

    /// Standard base64 text (padding optional, white space around it ignored) decoded into fresh
    /// locked memory, or `nil` for text that is not base64.
    package static func decodeLocked(_ text: UnsafeRawBufferPointer) -> LockedBytes? {
        var start = 0, end = text.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while start < end, isSpace(text[start]) { start += 1 }
        while end > start, isSpace(text[end - 1]) { end -= 1 }
        var padding = 0
        while end > start, text[end - 1] == UInt8(ascii: "="), padding < 2 { end -= 1; padding += 1 }
        let length = end - start
        guard length > 0, length % 4 != 1, padding == 0 || (length + padding) % 4 == 0 else { return nil }
        let output = LockedBytes(count: length / 4 * 3 + max(0, length % 4 - 1))
        let written = output.withUnsafeMutableBytes { decode(UnsafeRawBufferPointer(rebasing: text[start..<end]), alphabet: .standard, into: $0) }
        return written == output.count ? output : nil
    }

    private static func sextet(_ character: UInt8, _ alphabet: Alphabet) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .standard, UInt8(ascii: "-") where alphabet == .url: 62
        case UInt8(ascii: "/") where alphabet == .standard, UInt8(ascii: "_") where alphabet == .url: 63
        default: nil
        }
    }
}
