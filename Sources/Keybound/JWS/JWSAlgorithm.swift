/// The five JWS algorithms Keybound accepts (RFC 7518 §3, RFC 8037).
///
/// `none`, every `HS*` algorithm and everything else are refused; there is no switch to allow them.
public enum JWSAlgorithm: String, Sendable, CaseIterable, Hashable {
    /// ECDSA on P-256 with SHA-256; signatures are exactly 64 bytes (r ‖ s).
    case es256 = "ES256"
    /// ECDSA on P-384 with SHA-384; signatures are exactly 96 bytes (r ‖ s).
    case es384 = "ES384"
    /// Ed25519 (RFC 8037); signatures are exactly 64 bytes.
    case edDSA = "EdDSA"
    /// RSASSA-PKCS1-v1_5 with SHA-256; keys of at least 2048 bits with e = 65537.
    case rs256 = "RS256"
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    case ps256 = "PS256"

    /// The algorithm whose name is exactly `name` (case-sensitive), or `nil`.
    public init?(headerValue name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.isExactly(name) }) else { return nil }
        self = match
    }
}
