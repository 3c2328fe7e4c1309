/// Validation of UTF-8 byte strings: well-formed per Unicode Table 3-7 (no overlong forms,
/// no surrogates, nothing above U+10FFFF).
enum UTF8Validation {
    /// Whether all of `bytes` is well-formed UTF-8.
    static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var index = 0
            while index < buffer.count {
                if buffer[index] < 0x80 { index += 1; continue }
                guard let length = sequenceLength(in: buffer, at: index) else { return false }
                index += length
            }
            return true
        }
    }

    /// The length of the well-formed multi-byte sequence starting at `index`, or `nil`.
    static func sequenceLength(in buffer: UnsafeRawBufferPointer, at index: Int) -> Int? {
        let lead = buffer[index]
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return nil
        }
        guard index + length <= buffer.count else { return nil }
        let second = buffer[index + 1]
        guard second >= lower, second <= upper else { return nil }
        var offset = 2
        while offset < length {
            guard buffer[index + offset] & 0xC0 == 0x80 else { return nil }
            offset += 1
        }
        return length
    }
}
