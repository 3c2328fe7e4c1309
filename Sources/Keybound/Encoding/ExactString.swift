/// A string compared and hashed by its exact UTF-8 bytes.
///
/// Swift's `String ==` and hashing follow Unicode canonical equivalence, so "\u{212A}" (KELVIN
/// SIGN) equals "K". JOSE compares identifiers (`iss`, `aud`, `kid`, member names) code point by
/// code point with no normalization (RFC 7519 §2, RFC 7515 §4), so Keybound compares them here.
struct ExactString: Hashable, Sendable, CustomStringConvertible {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool { lhs.value.isExactly(rhs.value) }

    func hash(into hasher: inout Hasher) {
        var copy = value
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    var description: String { value }
}

extension String {
    /// Whether the two strings have exactly the same UTF-8 bytes (no Unicode normalization).
    func isExactly(_ other: String) -> Bool {
        utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8)
    }

    /// ASCII-only lowercasing (media types, RFC 2045): other characters are left as they are.
    var asciiLowercased: String {
        String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
