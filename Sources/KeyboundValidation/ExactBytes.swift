/// Strings compared by their exact UTF-8 bytes.
///
/// Swift's `String ==` and `Set<String>` follow Unicode canonical equivalence ("\u{212A}" KELVIN SIGN
/// equals "K"); issuers, scopes and roles are compared byte for byte, as JOSE compares identifiers.
struct ExactBytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ text: String) { self.bytes = Array(text.utf8) }
}

extension String {
    /// Whether both strings have exactly the same UTF-8 bytes.
    func hasSameBytes(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}
