/// Reads private members out of a sealed private JWK in place, so that they never become a
/// `String` or a parsed JSON value on the heap.
///
/// It reads what the key store seals: the compact JSON that Keybound's own `JSONWriter` writes,
/// a flat object of string members. A member is `"name":"value"` right after `{` or `,`; inside a
/// string, a quote is always escaped, so that pattern cannot start inside another member's value.
enum PrivateJWKScanner {
    /// The byte range of member `name`'s string value (without quotes) in `json`, or `nil`.
    static func stringValue(of name: String, in json: UnsafeRawBufferPointer) -> Range<Int>? {
        let pattern = Array("\"\(name)\":\"".utf8)
        guard json.count > pattern.count else { return nil }
        var index = 1
        while index + pattern.count <= json.count {
            let before = json[index - 1]
            if before == UInt8(ascii: "{") || before == UInt8(ascii: ",") {
                var matches = true
                for offset in 0..<pattern.count where json[index + offset] != pattern[offset] {
                    matches = false
                    break
                }
                if matches {
                    let start = index + pattern.count
                    var end = start
                    while end < json.count, json[end] != UInt8(ascii: "\"") { end += 1 }
                    return end < json.count ? start..<end : nil
                }
            }
            index += 1
        }
        return nil
    }

    /// Decodes unpadded base64url `source` into `output`; the number of bytes written, or `nil`
    /// for a character outside the alphabet, an impossible length, or too small an `output`.
    static func decodeBase64URL(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard source.count % 4 != 1 else { return nil }
        let length = source.count / 4 * 3 + max(0, source.count % 4 - 1)
        guard length <= output.count else { return nil }
        var accumulator: UInt32 = 0
        var bits = 0
        var written = 0
        for character in source {
            guard let value = sextet(character) else { return nil }
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

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
