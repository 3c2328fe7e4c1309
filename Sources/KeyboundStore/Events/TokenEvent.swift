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

/// One entry of an issuer's token-event log, as `/<issuer>/token-events` publishes it: an access
/// token issued (its `jti`, `exp`, audiences and claims digest) or revoked (its `jti`, `exp`,
/// audiences and the reason code). Only public facts. Both kinds are numbered by one sequence per
/// issuer, assigned in commit order inside the transaction that issued or revoked the token, so a
/// validator that resumes after N misses neither kind.
public struct TokenEvent: Sendable, Equatable {
    /// What happened to the token.
    public enum Change: Sendable, Equatable {
        /// Issued, with the lowercase hex SHA-256 of its JWS payload (the ledger's claims digest).
        case issued(claimsDigest: String)
        /// Revoked, for this reason.
        case revoked(TokenRevocationReason)
    }

    /// The issuer's id.
    public var issuerID: String
    /// The issuer's own sequence number (1, 2, 3, … in commit order).
    public var sequence: Int64
    /// The token's `jti`.
    public var tokenID: String
    /// The token's audiences (`aud`), as issued.
    public var audience: [String]
    /// The token's `exp`: after it the token is refused anyway.
    public var expiresAt: Date
    /// Issued or revoked.
    public var change: Change
    /// When it was issued or revoked.
    public var at: Date

    /// An event.
    public init(issuerID: String, sequence: Int64, tokenID: String, audience: [String], expiresAt: Date,
                change: Change, at: Date) {
        self.issuerID = issuerID
        self.sequence = sequence
        self.tokenID = tokenID
        self.audience = audience
        self.expiresAt = expiresAt
        self.change = change
        self.at = at
    }

    /// A revocation event.
    public init(issuerID: String, sequence: Int64, tokenID: String, audience: [String], expiresAt: Date,
                reason: TokenRevocationReason, at: Date) {
        self.init(issuerID: issuerID, sequence: sequence, tokenID: tokenID, audience: audience, expiresAt: expiresAt,
                  change: .revoked(reason), at: at)
    }

    /// Why the token was revoked, or `nil` for an issuance.
    public var reason: TokenRevocationReason? {
        if case .revoked(let reason) = change { reason } else { nil }
    }

    /// The value of the stored `reason` column: the revocation reason code, or ``issuedMarker``.
    package var storedReason: String {
        switch change {
        case .issued: Self.issuedMarker
        case .revoked(let reason): reason.rawValue
        }
    }

    /// The stored claims digest: the issuance's, `nil` for a revocation.
    package var storedClaimsDigest: String? {
        if case .issued(let digest) = change { digest } else { nil }
    }

    /// What the `reason` column holds for an issuance (no revocation reason is spelled so).
    package static let issuedMarker = "issued"

    /// The change a stored row describes: an issuance when it has a claims digest and the
    /// ``issuedMarker``, otherwise a revocation with a known reason; `nil` for anything else.
    package static func change(storedReason: String, claimsDigest: String?) -> Change? {
        if let claimsDigest {
            return storedReason == issuedMarker ? .issued(claimsDigest: claimsDigest) : nil
        }
        return TokenRevocationReason(rawValue: storedReason).map(Change.revoked)
    }

    /// The issuance event of a ledger record (an access token), numbered `sequence`.
    package static func issued(_ record: IssuanceRecord, sequence: Int64) -> TokenEvent {
        TokenEvent(issuerID: record.issuerID, sequence: sequence, tokenID: record.tokenID, audience: record.audience,
                   expiresAt: record.expiresAt, change: .issued(claimsDigest: record.claimsDigest), at: record.issuedAt)
    }
}
