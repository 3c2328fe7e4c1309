import Keybound

/// Byte-exact matching for identifiers (redirect URIs, audiences, roles, issuer and client ids).
///
/// Swift's `String ==`, `hasPrefix`, `contains` and hashing follow Unicode canonical equivalence:
/// `"\u{212A}"` (KELVIN SIGN) equals `"K"`, `"e\u{301}"` equals `"\u{E9}"`. OAuth compares these
/// values as exact strings (RFC 6749 §3.1.2.3 for redirect URIs; RFC 7519 for `aud` and `iss`), so
/// Keybound matches them by their UTF-8 bytes and keys dictionaries with ``ExactString``.
extension Sequence where Element == String {
    /// Whether an element has exactly the bytes of `value`.
    package func containsExactly(_ value: String) -> Bool {
        contains { $0.isExactly(value) }
    }
}

extension String {
    /// Whether the UTF-8 bytes of `self` start with those of `prefix`.
    package func hasExactPrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    /// The rest of `self` after `prefix`'s bytes, or `nil` if `self` does not start with them.
    package func droppingExactPrefix(_ prefix: String) -> String? {
        guard hasExactPrefix(prefix) else { return nil }
        return String(decoding: utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    /// `self` wrapped for use as a dictionary key or set member compared by exact bytes.
    package var exact: ExactString { ExactString(self) }
}
