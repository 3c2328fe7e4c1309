#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A string compared and hashed by its exact UTF-8 bytes.
///
/// Swift's `String ==` and hashing follow Unicode canonical equivalence, so "\u{212A}" (KELVIN
/// SIGN) equals "K". JOSE compares identifiers (`iss`, `aud`, `kid`, member names) code point by
/// code point with no normalization (RFC 7519 §2, RFC 7515 §4), so Keybound compares them here.
public struct ExactString: Hashable, Sendable, CustomStringConvertible {
    /// The string.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    public static func == (lhs: ExactString, rhs: ExactString) -> Bool { lhs.value.isExactly(rhs.value) }

    public func hash(into hasher: inout Hasher) {
        var copy = value
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { value }
}

extension String {
    /// Whether the two strings have exactly the same UTF-8 bytes (no Unicode normalization).
    public func isExactly(_ other: String) -> Bool {
        var lhs = self, rhs = other
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
    }

}
