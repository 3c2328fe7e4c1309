import Crypto
import Foundation
import Keybound
import KeyboundStore

/// Builds and signs access and ID tokens and opaque refresh tokens, with their ledger records.
/// Nothing leaves here until ``IssuanceLedger/commit(_:)`` has made the records durable.
struct TokenMinter: Sendable {
    let context: ProviderContext

    /// Who a token is for and what it grants.
    struct Grant: Sendable {
        var issuer: IssuerRecord
        var client: ClientRecord
        /// The user, for delegated grants; `nil` for application tokens.
        var user: UserRecord?
        var scope: GrantedScope
        var grantType: String
        var sessionID: String?
        var authTime: Date?
        var nonce: String?
        var chainID: String?
        var parentTokenID: String?
    }

    /// A signed token and its ledger record.
    struct Minted: Sendable {
        let token: String
        let record: IssuanceRecord
    }

    func tenantID(of issuer: IssuerRecord) -> String { context.tenantID(of: issuer) }

    /// The roles a token of `grant` carries: a user's, on the token's resource, as the user holds
    /// them now (a role taken away is gone from the next refresh); an application's, as granted.
    func roles(_ grant: Grant) -> [String] {
        guard let user = grant.user else { return grant.scope.roles }
        guard let resource = grant.scope.resource else { return [] }
        return user.roleNames(on: resource)
    }

    func lifetime(_ issuer: IssuerRecord) -> TimeInterval {
        min(context.configuration.accessTokenLifetime, issuer.maximumTokenLifetime)
    }

    /// An RFC 9068 access token.
    func accessToken(_ grant: Grant, now: Date) async throws -> Minted {
        let issued = now.timeIntervalSince1970.rounded(.down)
        let expires = issued + lifetime(grant.issuer).rounded(.down)
        let jti = Secrets.uuid()
        var audience: [String] = []
        if let resource = grant.scope.resource { audience.append(resource) }
        if grant.user != nil && grant.scope.includesOpenID { audience.append(grant.issuer.url) }
        if audience.isEmpty { audience.append(grant.issuer.url) }
        var claims = JSONObject([
            "iss": .string(grant.issuer.url),
            "sub": .string(grant.user?.subject ?? grant.client.clientID),
            "aud": audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string)),
            "exp": .number(expires),
            "nbf": .number(issued),
            "iat": .number(issued),
            "jti": .string(jti),
            "client_id": .string(grant.client.clientID),
            "tid": .string(tenantID(of: grant.issuer)),
        ])
        let scope = (grant.scope.openIDScopes + grant.scope.shortResourceScopes).joined(separator: " ")
        let roles = roles(grant)
        if grant.user != nil {
            claims["idtyp"] = .string("user")
            claims["scope"] = .string(scope)
            if !roles.isEmpty { claims["roles"] = .array(roles.map(JSONValue.string)) }
            if let sessionID = grant.sessionID { claims["sid"] = .string(sessionID) }
            if let authTime = grant.authTime { claims["auth_time"] = .number(authTime.timeIntervalSince1970.rounded(.down)) }
        } else {
            claims["idtyp"] = .string("app")
            claims["roles"] = .array(roles.map(JSONValue.string))
        }
        let signer = try await context.keys.signer(issuerID: grant.issuer.id)
        let signed = try await signer.signedByCustodian(claims: claims, type: ExpectedTokenType.accessToken.rawValue)
        let record = IssuanceRecord(
            issuerID: grant.issuer.id, keyID: signer.key.keyID, tokenID: jti, kind: .access,
            subject: grant.user?.subject ?? grant.client.clientID, clientID: grant.client.clientID, audience: audience,
            scope: grant.user != nil ? scope : "", roles: roles, tenantID: tenantID(of: grant.issuer),
            issuedAt: Date(timeIntervalSince1970: issued), expiresAt: Date(timeIntervalSince1970: expires),
            parentTokenID: grant.parentTokenID, sessionID: grant.sessionID, chainID: grant.chainID,
            grantType: grant.grantType, claimsDigest: Secrets.hexDigest(bytes: signed.payload))
        return Minted(token: signed.token, record: record)
    }

    /// An OpenID Connect ID token for `grant.user`, with `at_hash` of `accessToken`, signed with the
    /// issuer's ID-token key (RS256) or, if the client's `id_token_signed_response_alg` asks for
    /// the issuer's own algorithm, its access-token key.
    func idToken(_ grant: Grant, accessToken: String, now: Date) async throws -> Minted? {
        guard let user = grant.user, grant.scope.includesOpenID else { return nil }
        let issued = now.timeIntervalSince1970.rounded(.down)
        let expires = issued + lifetime(grant.issuer).rounded(.down)
        let jti = Secrets.uuid()
        let requested = grant.client.idTokenSignedResponseAlgorithm
        guard let purpose = IDTokenSigning.purpose(for: requested, issuer: grant.issuer) else {
            // Refused at registration; only a client stored before its issuer changed could get here.
            throw OAuthError.invalidClient("client '\(grant.client.clientID)' asks for ID tokens in \(requested?.rawValue ?? "?"), which issuer '\(grant.issuer.id)' does not sign")
        }
        let signer = try await context.keys.signer(issuerID: grant.issuer.id, purpose: purpose)
        var claims = JSONObject([
            "iss": .string(grant.issuer.url),
            "sub": .string(user.subject),
            "aud": .string(grant.client.clientID),
            "exp": .number(expires),
            "iat": .number(issued),
            "jti": .string(jti),
            "azp": .string(grant.client.clientID),
            "tid": .string(tenantID(of: grant.issuer)),
            "at_hash": .string(Self.leftHalfHash(accessToken, algorithm: signer.key.algorithm)),
        ])
        if let authTime = grant.authTime { claims["auth_time"] = .number(authTime.timeIntervalSince1970.rounded(.down)) }
        if let nonce = grant.nonce { claims["nonce"] = .string(nonce) }
        if let sessionID = grant.sessionID { claims["sid"] = .string(sessionID) }
        let roles = roles(grant)
        if !roles.isEmpty { claims["roles"] = .array(roles.map(JSONValue.string)) }
        for (name, value) in UserClaims.claims(of: user, scopes: grant.scope.openIDScopes) { claims[name] = value }
        let signed = try await signer.signedByCustodian(claims: claims, type: "JWT")
        let record = IssuanceRecord(
            issuerID: grant.issuer.id, keyID: signer.key.keyID, tokenID: jti, kind: .id, subject: user.subject,
            clientID: grant.client.clientID, audience: [grant.client.clientID], scope: grant.scope.openIDScopes.joined(separator: " "),
            roles: roles, tenantID: tenantID(of: grant.issuer), issuedAt: Date(timeIntervalSince1970: issued),
            expiresAt: Date(timeIntervalSince1970: expires), parentTokenID: grant.parentTokenID, sessionID: grant.sessionID,
            chainID: grant.chainID, grantType: grant.grantType, claimsDigest: Secrets.hexDigest(bytes: signed.payload))
        return Minted(token: signed.token, record: record)
    }

    /// A new opaque refresh token of `grant.chainID`, its state and its ledger record.
    func refreshToken(_ grant: Grant, chainStartedAt: Date, now: Date) -> (token: String, state: RefreshTokenRecord, record: IssuanceRecord)? {
        guard let user = grant.user, let chainID = grant.chainID else { return nil }
        let configuration = context.configuration
        let expires = min(now.addingTimeInterval(configuration.refreshTokenLifetime),
                          chainStartedAt.addingTimeInterval(configuration.refreshChainLifetime))
        guard expires > now else { return nil }
        let token = Secrets.random256(prefix: "kbr_")
        let hash = Secrets.hexDigest(token)
        let tokenID = Secrets.uuid()
        let state = RefreshTokenRecord(
            tokenHash: hash, tokenID: tokenID, issuerID: grant.issuer.id, clientID: grant.client.clientID,
            subject: user.subject, scope: grant.scope.scopeString, resource: grant.scope.resource, chainID: chainID,
            parentTokenID: grant.parentTokenID, sessionID: grant.sessionID, authTime: grant.authTime, issuedAt: now,
            expiresAt: expires)
        let record = IssuanceRecord(
            issuerID: grant.issuer.id, keyID: nil, tokenID: tokenID, kind: .refresh, subject: user.subject,
            clientID: grant.client.clientID, audience: [grant.issuer.url], scope: grant.scope.scopeString, roles: [],
            tenantID: tenantID(of: grant.issuer), issuedAt: now, expiresAt: expires, parentTokenID: grant.parentTokenID,
            sessionID: grant.sessionID, chainID: chainID, grantType: grant.grantType, claimsDigest: hash)
        return (token, state, record)
    }

    /// OIDC Core §3.1.3.6 `at_hash`: the left half of the hash of the token's ASCII, base64url.
    static func leftHalfHash(_ token: String, algorithm: JWSAlgorithm) -> String {
        let bytes: [UInt8]
        switch algorithm {
        case .es384: bytes = Array(SHA384.hash(data: Array(token.utf8)))
        case .edDSA: bytes = Array(SHA512.hash(data: Array(token.utf8)))
        default: bytes = Array(SHA256.hash(data: Array(token.utf8)))
        }
        return Base64URL.encode(bytes.prefix(bytes.count / 2))
    }
}

/// The user claims a scope releases (OIDC Core §5.4).
enum UserClaims {
    static func claims(of user: UserRecord, scopes: [String]) -> [(String, JSONValue)] {
        var claims: [(String, JSONValue)] = []
        if scopes.contains("profile") {
            claims.append(("name", .string(user.displayName)))
            claims.append(("preferred_username", .string(user.username)))
        }
        if scopes.contains("email"), let email = user.email {
            claims.append(("email", .string(email)))
            claims.append(("email_verified", .bool(false)))
        }
        return claims
    }
}
