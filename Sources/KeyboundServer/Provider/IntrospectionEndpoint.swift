import Foundation
import Hummingbird
import KeyboundHummingbird
import KeyboundValidation
import Keybound
import KeyboundStore

/// `POST /<issuer>/introspect` (RFC 7662). Confidential clients of the issuer only, and each only
/// about its own tokens and the access tokens of audiences it serves (``IntrospectionAccess``).
/// Access tokens are active when they verify, match the ledger and are not revoked; refresh tokens
/// when they are unspent, unrevoked and unexpired. Anything else is `{"active": false}`.
struct IntrospectionEndpoint: Sendable {
    let context: ProviderContext

    func handle(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let form = try await FormBody.read(request)
        let caller = try await ClientAuthenticator(context: context).authenticate(request, form: form, issuer: issuer, allowPublic: false)
        let token = try form.require("token")
        let access = await IntrospectionAccess(caller: caller, resources: try context.directory.resources(issuerID: issuer.id))
        let inactive = JSONResponse.make(JSONObject(["active": .bool(false)]), headers: [.cacheControl: "no-store"])
        if token.hasPrefix("kbr_") {
            guard let refresh = try await context.store.refreshToken(issuerID: issuer.id, tokenHash: Secrets.hexDigest(token)),
                  access.mayIntrospectRefreshToken(issuedTo: refresh.clientID),
                  refresh.spentAt == nil, refresh.revokedAt == nil, refresh.expiresAt > context.now(),
                  try await isActiveUser(issuer: issuer, subject: refresh.subject) else { return inactive }
            var body = JSONObject([
                "active": .bool(true), "token_type": .string("refresh_token"), "scope": .string(refresh.scope),
                "client_id": .string(refresh.clientID), "sub": .string(refresh.subject), "iss": .string(issuer.url),
                "iat": .number(refresh.issuedAt.timeIntervalSince1970.rounded(.down)),
                "exp": .number(refresh.expiresAt.timeIntervalSince1970.rounded(.down)),
            ])
            if let sessionID = refresh.sessionID { body["sid"] = .string(sessionID) }
            return JSONResponse.make(body, headers: [.cacheControl: "no-store"])
        }
        guard case .active(let verified, let record) = try await IssuedTokenCheck(context: context)
            .check(token, issuer: issuer, audience: nil, tokenType: .accessToken),
              access.mayIntrospectAccessToken(issuedTo: record.clientID, audience: verified.audience) else { return inactive }
        // A user token stops being active when its user is disabled; application tokens have no user.
        if verified.claims["idtyp"] == .string("user"), try await !isActiveUser(issuer: issuer, subject: record.subject) { return inactive }
        var body = JSONObject(["active": .bool(true), "token_type": .string("Bearer")])
        for name in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "tid", "sid", "roles", "idtyp"] {
            if let value = verified.claims[name] { body[name] = value }
        }
        body["kid"] = .string(verified.keyID)
        return JSONResponse.make(body, headers: [.cacheControl: "no-store"])
    }
}

extension IntrospectionEndpoint {
    func isActiveUser(issuer: IssuerRecord, subject: String) async throws -> Bool {
        guard let user = try await context.store.user(issuerID: issuer.id, subject: subject) else { return false }
        return !user.isDisabled
    }
}

/// `POST /<issuer>/revoke` (RFC 7009). Revoking a refresh token revokes its whole chain and the
/// access tokens issued in it; revoking an access token records its `jti` as revoked. A token of
/// another client, an unknown or an invalid token is answered 200 and changes nothing (§2.2).
struct RevocationEndpoint: Sendable {
    let context: ProviderContext

    func handle(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let form = try await FormBody.read(request)
        let client = try await ClientAuthenticator(context: context).authenticate(request, form: form, issuer: issuer, allowPublic: true)
        let token = try form.require("token")
        if let hint = form["token_type_hint"], !["access_token", "refresh_token"].contains(hint) {
            throw OAuthError(status: .badRequest, error: "unsupported_token_type", description: "token_type_hint '\(hint)' is not supported")
        }
        let now = context.now()
        if token.hasPrefix("kbr_") {
            if let refresh = try await context.store.refreshToken(issuerID: issuer.id, tokenHash: Secrets.hexDigest(token)),
               refresh.clientID.isExactly(client.clientID) {
                try await context.store.revokeChain(issuerID: issuer.id, chainID: refresh.chainID, reason: "revoked by the client (RFC 7009)", kind: .clientRequest, now: now)
            }
        } else if case .active(_, let record) = try await IssuedTokenCheck(context: context)
            .check(token, issuer: issuer, audience: nil, tokenType: .accessToken), record.clientID.isExactly(client.clientID) {
            try await context.store.revokeToken(issuerID: issuer.id, tokenID: record.tokenID, reason: "revoked by the client (RFC 7009)", kind: .clientRequest, now: now)
        }
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}

/// `GET|POST /<issuer>/userinfo` (OIDC Core §5.3): the signed-in user's claims for a bearer access
/// token of this issuer that carries `openid`. Errors follow RFC 6750.
struct UserinfoEndpoint: Sendable {
    let context: ProviderContext

    func handle(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let token: String
        switch BearerCredentials.read(request.headers) {
        case .token(let presented): token = presented
        // No header, or another scheme: the client did not know a bearer token was needed (RFC 6750 §3.1).
        case .missing: throw OAuthError.bearer(.unauthorized, "", "a bearer access token is required")
        case .malformed(let why): throw OAuthError.bearer(.badRequest, "invalid_request", why)
        }
        let outcome = try await IssuedTokenCheck(context: context)
            .check(token, issuer: issuer, audience: issuer.url, tokenType: .accessToken)
        guard case .active(let verified, let record) = outcome else {
            if case .inactive(let why) = outcome { throw OAuthError.bearer(.unauthorized, "invalid_token", why) }
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the token is not active")
        }
        guard verified.scopes.contains("openid") else {
            throw OAuthError.bearer(.forbidden, "insufficient_scope", "the token lacks the openid scope")
        }
        guard let user = try await context.store.user(issuerID: issuer.id, subject: record.subject), !user.isDisabled else {
            throw OAuthError.bearer(.unauthorized, "invalid_token", "the token's user is not active")
        }
        var body = JSONObject(["sub": .string(user.subject), "tid": .string(TokenMinter(context: context).tenantID(of: issuer))])
        for (name, value) in UserClaims.claims(of: user, scopes: verified.scopes) { body[name] = value }
        return JSONResponse.make(body, headers: [.cacheControl: "no-store"])
    }
}
