import Crypto
import Foundation
import Keybound

/// Who a verified bearer token speaks for: the fields a resource server decides on, read once from
/// a `VerifiedToken`.
///
/// Only a `TokenVerifier` makes a `VerifiedToken`, so an identity always stands for a
/// token that passed every check.
public struct KeyboundIdentity: Sendable {
    /// The token, with its header and exact payload bytes.
    public let token: VerifiedToken
    /// `iss`: the issuer whose key verified the token.
    public let issuer: String
    /// `tid`, if present (checked against the issuer's tenancy by the verifier).
    public let tenantID: String?
    /// The tenant the token speaks in: (issuer, tid) with the issuer's kind, or `nil` for an issuer
    /// without tenants. Resources scope tenant data by this pair, never by ``tenantID`` alone.
    public let tenant: Tenant?
    /// `sub`, if present.
    public let subject: String?
    /// `client_id`, if present.
    public let clientID: String?
    /// `scope`, split on spaces (delegated permissions).
    public let scopes: [String]
    /// `roles`, if an array of strings (application permissions).
    public let roles: [String]
    /// `jti`, if present.
    public let tokenID: String?
    /// The `kid` of the key that verified the signature.
    public let keyID: String
    /// `aud`, as a list.
    public let audience: [String]
    /// `iat`, if present.
    public let issuedAt: Date?
    /// `exp`, if present.
    public let expiresAt: Date?
    /// Whether the token speaks for an application acting as itself rather than for a user: it has
    /// no scope and has roles, or its `idtyp` claim is `"app"`.
    public let isApplication: Bool
    /// The lowercase hex SHA-256 of the payload bytes exactly as signed: names the claims in audit
    /// logs without copying them (and never the token, which is a credential).
    public let claimsDigest: String

    /// Reads the identity of a verified token.
    public init(_ token: VerifiedToken) {
        let claims = token.claims
        self.token = token
        self.issuer = token.issuer
        self.tenantID = token.tenantID
        self.tenant = token.tenant
        self.subject = token.subject
        self.clientID = token.clientID
        self.scopes = token.scopes
        self.roles = claims["roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.tokenID = token.tokenID
        self.keyID = token.keyID
        self.audience = token.audience
        self.issuedAt = token.issuedAt
        self.expiresAt = token.expiresAt
        let appType = claims["idtyp"]?.stringValue?.hasSameBytes(as: "app") ?? false
        self.isApplication = appType || (scopes.isEmpty && !roles.isEmpty)
        self.claimsDigest = SHA256.hash(data: token.payload).map { Self.hexDigits[Int($0 >> 4)] + Self.hexDigits[Int($0 & 0x0F)] }.joined()
    }

    /// Whether the token comes from a consumer realm (whose tokens never carry tenant-wide roles).
    public var isConsumerRealm: Bool { tenant?.kind == .consumer }

    /// Whether the token speaks for a user through a client (the opposite of ``isApplication``).
    public var isDelegated: Bool { !isApplication }

    /// Whether ``scopes`` contains `scope`, compared byte for byte.
    public func hasScope(_ scope: String) -> Bool { scopes.contains { $0.hasSameBytes(as: scope) } }

    /// Whether ``roles`` contains `role`, compared byte for byte.
    public func hasRole(_ role: String) -> Bool { roles.contains { $0.hasSameBytes(as: role) } }

    private static let hexDigits = "0123456789abcdef".map(String.init)
}
