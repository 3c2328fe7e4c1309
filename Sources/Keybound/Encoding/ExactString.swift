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
        // Native and small strings hand out their UTF-8 without a copy; others are copied once.
        let hashed: Void? = value.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            var copy = value
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    public var description: String { value }
}

extension String {
    /// Whether the two strings have exactly the same UTF-8 bytes (no Unicode normalization).
    public func isExactly(_ other: String) -> Bool {
        // The common case, native or small strings, reads both without copying either.
        let direct: Bool?? = utf8.withContiguousStorageIfAvailable { left in
            other.utf8.withContiguousStorageIfAvailable { right in Self.sameBytes(left, right) }
        }
        if let direct, let same = direct { return same }
        var lhs = self, rhs = other
        return lhs.withUTF8 { left in rhs.withUTF8 { right in Self.sameBytes(left, right) } }
    }

    private static func sameBytes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
    }

}
