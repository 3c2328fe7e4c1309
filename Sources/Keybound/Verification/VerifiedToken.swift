import Foundation

/// A token that passed every check of a ``TokenVerifier``. Only the verifier can make one.
public struct VerifiedToken: Sendable {
    /// The protected header.
    public let header: JSONObject
    /// The payload bytes, exactly as signed.
    public let payload: [UInt8]
    /// The issuer the key belongs to (equal to the token's `iss`).
    public let issuer: String
    /// The `kid` of the key that verified the signature.
    public let keyID: String
    /// The algorithm of the signature.
    public let algorithm: JWSAlgorithm
    /// The RFC 7638 thumbprint of the verifying key.
    public let keyThumbprint: String
    /// The tenant the token belongs to: its `tid` under its issuer's ``Tenancy``, checked by the
    /// verifier. `nil` for an issuer whose tenancy is ``Tenancy/noTenant``.
    public let tenant: Tenant?
    let registered: RegisteredClaims

    init(header: JSONObject, payload: [UInt8], issuer: String, keyID: String, algorithm: JWSAlgorithm,
         keyThumbprint: String, registered: RegisteredClaims, tenant: Tenant?) {
        self.tenant = tenant
        self.header = header
        self.payload = payload
        self.issuer = issuer
        self.keyID = keyID
        self.algorithm = algorithm
        self.keyThumbprint = keyThumbprint
        self.registered = registered
    }

    /// The claims, exactly as signed.
    ///
    /// Built from ``payload`` on each access (the verifier validated it strictly but reads only the
    /// claims it checks); keep the result if you need it more than once.
    public var claims: JSONObject {
        (try? StrictJSONParser.parseObject(payload)) ?? JSONObject()
    }

    /// `sub`.
    public var subject: String? { registered.subject }
    /// `aud`, as a list even when the token carried one string.
    public var audience: [String] { registered.audience ?? [] }
    /// `jti`.
    public var tokenID: String? { registered.tokenID }
    /// `tid` (checked against the issuer's tenancy; see ``tenant`` for the (issuer, tid) pair).
    public var tenantID: String? { registered.tenantID }
    /// `client_id`.
    public var clientID: String? { registered.clientID }
    /// `scope`, split on spaces.
    public var scopes: [String] { registered.scope.map { $0.split(separator: " ").map(String.init) } ?? [] }
    /// `roles` (application permissions), if present as an array of strings.
    public var roles: [String] { claims["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// `exp`.
    public var expiresAt: Date? { registered.expiresAt.map(Date.init(timeIntervalSince1970:)) }
    /// `iat`.
    public var issuedAt: Date? { registered.issuedAt.map(Date.init(timeIntervalSince1970:)) }
    /// `nbf`.
    public var notBefore: Date? { registered.notBefore.map(Date.init(timeIntervalSince1970:)) }
}
