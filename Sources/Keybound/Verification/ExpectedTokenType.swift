/// Which kind of token a verifier accepts. The rules are mutually exclusive, so an ID token is not
/// an access token and a DPoP proof or security event token is neither (RFC 8725 §3.11).
public enum ExpectedTokenType: String, Sendable, CaseIterable {
    /// RFC 9068 access tokens: `typ` is `at+jwt` or `application/at+jwt` (case-insensitive), and
    /// `iss`, `sub`, `aud`, `exp`, `iat`, `jti` and `client_id` are required. Case is folded for ASCII only.
    case accessToken = "at+jwt"
    /// Generic JWTs: `typ` is `JWT` or `application/jwt` (case-insensitive) or absent; `iss`, `aud` and `exp` are required.
    case jwt = "JWT"

    /// Whether the header's `typ` (or its absence) fits.
    public func accepts(typ: String?) -> Bool {
        guard let typ else { return self == .jwt }
        var lowered = typ.asciiLowercased
        if lowered.hasPrefix("application/") { lowered.removeFirst("application/".count) }
        switch self {
        case .accessToken: return lowered.isExactly("at+jwt")
        case .jwt: return lowered.isExactly("jwt")
        }
    }

    /// The claims RFC 9068 (or Keybound's JWT profile) requires.
    public var requiredClaims: [String] {
        switch self {
        case .accessToken: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]
        case .jwt: ["iss", "aud", "exp"]
        }
    }
}
