import Foundation

/// Why an issued token was revoked: a closed set, published on `/<issuer>/token-events` (the
/// operator's free-text reason stays in the store and is never published).
public enum TokenRevocationReason: String, Sendable, CaseIterable {
    /// The client revoked it (RFC 7009).
    case clientRequest = "client_revocation"
    /// A spent refresh token of its chain was presented again (OAuth 2.0 Security BCP §4.14.2).
    case refreshTokenReuse = "refresh_token_reuse"
    /// The authorization code that started its chain was redeemed twice (RFC 6749 §4.1.2).
    case authorizationCodeReplay = "authorization_code_replay"
    /// A refresh token of its chain was presented by another client.
    case refreshTokenMisuse = "refresh_token_misuse"
    /// Incident response revoked it (a compromised signing key).
    case incidentResponse = "incident_response"
    /// Revoked by an operator or a tool for another reason.
    case administrative = "administrative"
}

/// One revoked access token, as `/<issuer>/token-events` publishes it: only public facts (the
/// token's `jti`, `exp` and audiences, the reason code, when). Numbered by one sequence per
/// issuer, assigned in commit order inside the transaction that records the revocation.
public struct TokenEvent: Sendable, Equatable {
    /// The issuer's id.
    public var issuerID: String
    /// The issuer's own sequence number (1, 2, 3, … in commit order).
    public var sequence: Int64
    /// The revoked token's `jti`.
    public var tokenID: String
    /// The revoked token's audiences (`aud`), as issued.
    public var audience: [String]
    /// The revoked token's `exp`: after it the token is refused anyway.
    public var expiresAt: Date
    /// Why.
    public var reason: TokenRevocationReason
    /// When it was revoked.
    public var at: Date

    /// An event.
    public init(issuerID: String, sequence: Int64, tokenID: String, audience: [String], expiresAt: Date,
                reason: TokenRevocationReason, at: Date) {
        self.issuerID = issuerID
        self.sequence = sequence
        self.tokenID = tokenID
        self.audience = audience
        self.expiresAt = expiresAt
        self.reason = reason
        self.at = at
    }
}
