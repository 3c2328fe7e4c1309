import Keybound

/// The OAuth 2.0 grant types Keybound implements: the `grant_type` of a token request and the
/// values of a client's `grant_types`.
public enum GrantType: String, Sendable, CaseIterable {
    /// RFC 6749 §4.1, with PKCE (S256) always required.
    case authorizationCode = "authorization_code"
    /// RFC 6749 §4.4: an application's own token (confidential clients of a tenant issuer only).
    case clientCredentials = "client_credentials"
    /// RFC 6749 §6, with rotation and reuse detection.
    case refreshToken = "refresh_token"

    /// The grant type named exactly `name`, byte for byte (never by Unicode equivalence, as
    /// `init(rawValue:)` would compare), if Keybound implements it.
    public init?(exactly name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.isExactly(name) }) else { return nil }
        self = match
    }
}
