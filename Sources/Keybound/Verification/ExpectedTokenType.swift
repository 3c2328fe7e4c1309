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
        guard var typ else { return self == .jwt }
        let expected: StaticString = self == .accessToken ? "at+jwt" : "jwt"
        return typ.withUTF8 { bytes in
            var rest = UnsafeRawBufferPointer(bytes)
            if Self.equalsIgnoringASCIICase(UnsafeRawBufferPointer(rebasing: rest.prefix(12)), "application/") {
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(12))
            }
            return Self.equalsIgnoringASCIICase(rest, expected)
        }
    }

    private static func equalsIgnoringASCIICase(_ bytes: UnsafeRawBufferPointer, _ expected: StaticString) -> Bool {
        guard bytes.count == expected.utf8CodeUnitCount else { return false }
        let pointer = expected.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            if folded != pointer[index] { return false }
        }
        return true
    }

    /// The claims RFC 9068 (or Keybound's JWT profile) requires.
    public var requiredClaims: [String] {
        switch self {
        case .accessToken: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]
        case .jwt: ["iss", "aud", "exp"]
        }
    }
}
