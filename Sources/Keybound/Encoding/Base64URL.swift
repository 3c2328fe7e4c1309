/// Canonical, unpadded base64url (RFC 4648 §5) as JOSE requires (RFC 7515 §2).
///
/// The decoder accepts only the 64 URL-safe characters, no padding, no white space, no length
/// that is 1 modulo 4, and no non-zero trailing bits: each byte string has exactly one encoding.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0xFF marks a byte outside the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// The decode table for the eight-character steps: four blocks of 256, one per place in a
    /// quad, each holding the character's six bits already shifted into that place of a 24-bit
    /// group, so a quad is four lookups OR-ed together. A character outside the alphabet has bit
    /// 24 set in every block.
    private static let placedDecodeTable: [UInt32] = {
        var table = [UInt32](repeating: 1 << 24, count: 4 * 256)
        for (index, character) in alphabet.enumerated() {
            for place in 0..<4 { table[place * 256 + Int(character)] = UInt32(index) << (18 - 6 * place) }
        }
        return table
    }()

    /// The encode table for the six-byte steps: each 12-bit value's two characters, the first in
    /// the low byte, so a step of 48 bits is four lookups and one eight-byte store.
    private static let pairTable: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 4096)
        for value in 0..<4096 { table[value] = UInt16(alphabet[value >> 6]) | UInt16(alphabet[value & 0x3F]) << 8 }
        return table
    }()

    /// Encodes bytes as unpadded base64url.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: encodedBytes(bytes), as: UTF8.self)
    }

    /// Encodes bytes as unpadded base64url ASCII bytes.
    public static func encodedBytes<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        if let direct = bytes.withContiguousStorageIfAvailable({ encodedBytes(UnsafeRawBufferPointer($0)) }) {
            return direct
        }
        return Array(bytes).withUnsafeBytes { encodedBytes($0) }
    }

    /// Encodes raw bytes as unpadded base64url ASCII bytes.
    public static func encodedBytes(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let outputCount = encodedLength(of: input.count)
        return [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialized in
            initialized = encode(input, into: UnsafeMutableRawBufferPointer(out))
        }
    }

    /// The length of the unpadded base64url encoding of `count` bytes.
    static func encodedLength(of count: Int) -> Int { (count * 4 + 2) / 3 }

    /// Writes the unpadded base64url encoding of `input` at the start of `output`, which must hold
    /// at least ``encodedLength(of:)`` bytes, and returns the number of bytes written.
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let outputCount = encodedLength(of: input.count)
        precondition(output.count >= outputCount, "the base64url output buffer is too small")
        var index = 0, position = 0
        // Six bytes (48 bits) at a time, read as one eight-byte word: only while the word's last two
        // bytes are inside the input. Eight characters from six bytes never pass `outputCount`.
        pairTable.withUnsafeBufferPointer { pairs in
            while index + 8 <= input.count {
                let word = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let characters = UInt64(pairs[Int(truncatingIfNeeded: word >> 52)])
                    | UInt64(pairs[Int(truncatingIfNeeded: word >> 40 & 0xFFF)]) << 16
                    | UInt64(pairs[Int(truncatingIfNeeded: word >> 28 & 0xFFF)]) << 32
                    | UInt64(pairs[Int(truncatingIfNeeded: word >> 16 & 0xFFF)]) << 48
                output.storeBytes(of: characters.littleEndian, toByteOffset: position, as: UInt64.self)
                index += 6
                position += 8
            }
        }
        return alphabet.withUnsafeBufferPointer { alphabet in
            while index + 3 <= input.count {
                let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                output[position] = alphabet[Int(chunk >> 18 & 0x3F)]
                output[position + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                output[position + 2] = alphabet[Int(chunk >> 6 & 0x3F)]
                output[position + 3] = alphabet[Int(chunk & 0x3F)]
                index += 3
                position += 4
            }
            let remaining = input.count - index
            if remaining > 0 {
                let chunk = UInt32(input[index]) << 16 | (remaining == 2 ? UInt32(input[index + 1]) << 8 : 0)
                output[position] = alphabet[Int(chunk >> 18 & 0x3F)]
                output[position + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                if remaining == 2 { output[position + 2] = alphabet[Int(chunk >> 6 & 0x3F)] }
            }
            return outputCount
        }
    }

    /// Decodes canonical unpadded base64url, or returns `nil` for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    /// Decodes canonical unpadded base64url from raw ASCII bytes, or returns `nil`.
    public static func decode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = input.count
        if count % 4 == 1 { return nil }
        let table = decodeTable
        let placed = placedDecodeTable
        var ok = false
        let capacity = count * 3 / 4
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            initialized = 0
            ok = table.withUnsafeBufferPointer { table in
                var inIndex = 0
                var outIndex = 0
                // Eight characters (48 bits) at a time, stored as one eight-byte word whose last
                // two bytes the next step overwrites: only while those two bytes are inside the
                // output, so the quads below always finish it.
                placed.withUnsafeBufferPointer { placed in
                    while inIndex + 8 <= count, outIndex + 8 <= capacity {
                        let first = placed[Int(input[inIndex])] | placed[256 + Int(input[inIndex + 1])]
                            | placed[512 + Int(input[inIndex + 2])] | placed[768 + Int(input[inIndex + 3])]
                        let second = placed[Int(input[inIndex + 4])] | placed[256 + Int(input[inIndex + 5])]
                            | placed[512 + Int(input[inIndex + 6])] | placed[768 + Int(input[inIndex + 7])]
                        // A bad character stops here; the quads below find and refuse it.
                        if (first | second) >> 24 != 0 { break }
                        let word = UInt64(first) << 40 | UInt64(second) << 16
                        UnsafeMutableRawPointer(out.baseAddress! + outIndex).storeBytes(of: word.bigEndian, as: UInt64.self)
                        inIndex += 8
                        outIndex += 6
                    }
                }
                while inIndex + 4 <= count {
                    let a = table[Int(input[inIndex])], b = table[Int(input[inIndex + 1])]
                    let c = table[Int(input[inIndex + 2])], d = table[Int(input[inIndex + 3])]
                    if (a | b | c | d) & 0xC0 != 0 { return false }
                    let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[outIndex] = UInt8(truncatingIfNeeded: chunk >> 16)
                    out[outIndex + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                    out[outIndex + 2] = UInt8(truncatingIfNeeded: chunk)
                    inIndex += 4
                    outIndex += 3
                }
                switch count - inIndex {
                case 2:
                    let a = table[Int(input[inIndex])], b = table[Int(input[inIndex + 1])]
                    if (a | b) & 0xC0 != 0 || b & 0x0F != 0 { return false }
                    out[outIndex] = a << 2 | b >> 4
                case 3:
                    let a = table[Int(input[inIndex])], b = table[Int(input[inIndex + 1])]
                    let c = table[Int(input[inIndex + 2])]
                    if (a | b | c) & 0xC0 != 0 || c & 0x03 != 0 { return false }
                    out[outIndex] = a << 2 | b >> 4
                    out[outIndex + 1] = (b & 0x0F) << 4 | c >> 2
                default:
                    break
                }
                return true
            }
            if ok { initialized = capacity }
        }
        return ok ? output : nil
    }
}
