import Foundation

/// One issued token in the issuance ledger. The ledger is append-only: a token whose `jti` is not
/// here, or whose claims digest differs, was not issued by Keybound.
public struct IssuanceRecord: Sendable, Equatable {
    /// What kind of token was issued.
    public enum TokenKind: String, Sendable, CaseIterable {
        /// An RFC 9068 access token.
        case access
        /// An OpenID Connect ID token.
        case id
        /// An opaque refresh token (its digest is the SHA-256 of the token string).
        case refresh
    }

    /// The ledger's sequence number (0 until committed).
    public var sequence: Int64
    /// The issuer's id.
    public var issuerID: String
    /// The signing key's kid (`nil` for refresh tokens).
    public var keyID: String?
    /// The token id (`jti`); for refresh tokens the refresh token's id.
    public var tokenID: String
    /// Access, ID or refresh.
    public var kind: TokenKind
    /// The subject (`sub`): a user's subject or, for application tokens, the client id.
    public var subject: String
    /// The client the token was issued to.
    public var clientID: String
    /// The audiences, in order.
    public var audience: [String]
    /// The granted delegated scopes, space-separated.
    public var scope: String
    /// The granted application roles.
    public var roles: [String]
    /// The tenant id (`tid`).
    public var tenantID: String?
    /// Issued at.
    public var issuedAt: Date
    /// Expires at.
    public var expiresAt: Date
    /// The token this one was derived from (the spent refresh token's id), if any.
    public var parentTokenID: String?
    /// The login session (`sid`), if a user signed in.
    public var sessionID: String?
    /// The refresh chain this token belongs to, if any.
    public var chainID: String?
    /// The grant that produced it (`client_credentials`, `authorization_code`, `refresh_token`).
    public var grantType: String
    /// Lowercase hex SHA-256 of the signed claims (the JWS payload bytes), or of the refresh token.
    public var claimsDigest: String

    /// A ledger record.
    public init(sequence: Int64 = 0, issuerID: String, keyID: String?, tokenID: String, kind: TokenKind, subject: String,
                clientID: String, audience: [String], scope: String, roles: [String], tenantID: String?, issuedAt: Date,
                expiresAt: Date, parentTokenID: String?, sessionID: String?, chainID: String?, grantType: String,
                claimsDigest: String) {
        self.sequence = sequence
        self.issuerID = issuerID
        self.keyID = keyID
        self.tokenID = tokenID
        self.kind = kind
        self.subject = subject
        self.clientID = clientID
        self.audience = audience
        self.scope = scope
        self.roles = roles
        self.tenantID = tenantID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.parentTokenID = parentTokenID
        self.sessionID = sessionID
        self.chainID = chainID
        self.grantType = grantType
        self.claimsDigest = claimsDigest
    }
}

/// An opaque refresh token's state. The token itself is never stored, only its SHA-256.
public struct RefreshTokenRecord: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the token string.
    public var tokenHash: String
    /// The refresh token's id (its ledger `tokenID`).
    public var tokenID: String
    /// The issuer's id.
    public var issuerID: String
    /// The client it was issued to.
    public var clientID: String
    /// The user's subject.
    public var subject: String
    /// The granted scope.
    public var scope: String
    /// The resource audience the access tokens are for, if any.
    public var resource: String?
    /// The chain (family) every rotation of one grant shares.
    public var chainID: String
    /// The refresh token this one replaced, if any.
    public var parentTokenID: String?
    /// The login session.
    public var sessionID: String?
    /// When the user authenticated.
    public var authTime: Date?
    /// Issued at.
    public var issuedAt: Date
    /// Expires at.
    public var expiresAt: Date
    /// When it was exchanged (each refresh token works once).
    public var spentAt: Date?
    /// When it (or its chain) was revoked.
    public var revokedAt: Date?
    /// Why it was revoked.
    public var revocationReason: String?

    /// A refresh token record.
    public init(tokenHash: String, tokenID: String, issuerID: String, clientID: String, subject: String, scope: String,
                resource: String?, chainID: String, parentTokenID: String?, sessionID: String?, authTime: Date?,
                issuedAt: Date, expiresAt: Date, spentAt: Date? = nil, revokedAt: Date? = nil, revocationReason: String? = nil) {
        self.tokenHash = tokenHash
        self.tokenID = tokenID
        self.issuerID = issuerID
        self.clientID = clientID
        self.subject = subject
        self.scope = scope
        self.resource = resource
        self.chainID = chainID
        self.parentTokenID = parentTokenID
        self.sessionID = sessionID
        self.authTime = authTime
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.spentAt = spentAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }
}

/// A one-time authorization code, stored by its SHA-256.
public struct AuthorizationCodeRecord: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the code.
    public var codeHash: String
    /// The issuer's id.
    public var issuerID: String
    /// The client it was issued to.
    public var clientID: String
    /// The user's subject.
    public var subject: String
    /// The redirect URI the code was sent to; the token request must repeat it.
    public var redirectURI: String
    /// The granted scope.
    public var scope: String
    /// The resource audience, if any.
    public var resource: String?
    /// The PKCE S256 code challenge.
    public var codeChallenge: String
    /// The OIDC nonce, if any.
    public var nonce: String?
    /// The login session.
    public var sessionID: String
    /// When the user authenticated.
    public var authTime: Date
    /// Expires at (a minute after issue).
    public var expiresAt: Date
    /// When it was exchanged.
    public var usedAt: Date?
    /// The refresh chain created when it was exchanged, so a replay can revoke it.
    public var chainID: String?

    /// An authorization code record.
    public init(codeHash: String, issuerID: String, clientID: String, subject: String, redirectURI: String, scope: String,
                resource: String?, codeChallenge: String, nonce: String?, sessionID: String, authTime: Date,
                expiresAt: Date, usedAt: Date? = nil, chainID: String? = nil) {
        self.codeHash = codeHash
        self.issuerID = issuerID
        self.clientID = clientID
        self.subject = subject
        self.redirectURI = redirectURI
        self.scope = scope
        self.resource = resource
        self.codeChallenge = codeChallenge
        self.nonce = nonce
        self.sessionID = sessionID
        self.authTime = authTime
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.chainID = chainID
    }
}
