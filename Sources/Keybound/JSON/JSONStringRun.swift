/// The plain run of a JSON string's contents: bytes that neither end the string, start an escape,
/// break the grammar nor need UTF-8 validation — printable ASCII other than `"` and `\`.
///
/// Token claims are mostly long plain strings (URLs, UUIDs, scopes), so the parser and the
/// scanner skip them eight bytes at a time and look at single bytes only from the first word that
/// holds anything else. The word test is exact: it never passes a word with a byte that is not
/// plain (a borrow can only set extra high bits, above a byte that is really special, so "none"
/// is never wrong).
enum JSONStringRun {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether every byte of `word` is printable ASCII other than `"` and `\`.
    @inline(__always)
    static func isPlain(_ word: UInt64) -> Bool {
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        // High bit set in a byte that is zero (the quote or backslash) or below 0x20, or non-ASCII.
        let zeroQuote = (quotes &- ones) & ~quotes
        let zeroBackslash = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control | word) & highBits == 0
    }

    /// The index of the first byte at or after `start` that begins a word (eight bytes) that is
    /// not all plain, or of the last bytes too few for a word: where a byte-by-byte loop goes on.
    @inline(__always)
    static func skipPlainWords(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index + 8 <= buffer.count, isPlain(buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
            index += 8
        }
        return index
    }
}
