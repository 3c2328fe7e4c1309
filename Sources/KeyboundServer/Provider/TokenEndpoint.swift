import Crypto
import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// `POST /<issuer>/token`: `client_credentials`, `authorization_code` with PKCE (S256 only) and
/// `refresh_token` with rotation and reuse detection. Every token is in the issuance ledger before
/// the response is written.
struct TokenEndpoint: Sendable {
    let context: ProviderContext
    var minter: TokenMinter { TokenMinter(context: context) }

    /// On a store shared by nodes, a `client_credentials` request with a client secret reads the
    /// client and resources from a copy of the issuer's directory (no database read), and its
    /// ledger commit checks that the directory has not changed since. If it has, nothing was handed
    /// out, and the request runs again on fresh reads; so does a request the copy refuses (the
    /// copy may predate a new secret, client or role). The other grants read fresh: their codes
    /// and refresh tokens are spent before the commit, so they could not run again.
    func handle(_ request: Request, issuerID: String) async throws -> Response {
        let issuer = try await context.issuer(issuerID)
        do {
            let form = try await FormBody.read(request)
            let grantType = try form.require("grant_type")
            if grantType == "client_credentials", context.store.isSharedByNodes, ClientAuthenticator.presentsSecret(request, form: form) {
                do {
                    return try await respond(request, form: form, grantType: grantType, issuer: issuer,
                                             copies: DirectoryCopies(issuerID: issuer.id))
                } catch let error as StoreError where error.code == .directoryChanged {
                    context.directory.invalidate(issuerID: issuer.id)
                } catch is OAuthError {
                    // Refused by the copy: the fresh reads below decide.
                }
            }
            return try await respond(request, form: form, grantType: grantType, issuer: issuer, copies: nil)
        } catch let error as OAuthError {
            ProviderMetrics.tokenRequestFailed(issuer: issuer.id, error: error.error)
            throw error
        }
    }

    private func respond(_ request: Request, form: FormBody, grantType: String, issuer: IssuerRecord,
                         copies: DirectoryCopies?) async throws -> Response {
        let client = try await ClientAuthenticator(context: context, copies: copies)
            .authenticate(request, form: form, issuer: issuer, allowPublic: true)
        guard ClientRecord.supportedGrantTypes.contains(grantType) else {
            throw OAuthError(status: .badRequest, error: "unsupported_grant_type", description: "grant type '\(grantType)' is not supported")
        }
        guard client.grantTypes.contains(grantType) else {
            throw OAuthError.unauthorizedClient("client '\(client.clientID)' may not use the \(grantType) grant")
        }
        switch grantType {
        case "client_credentials": return try await clientCredentials(form, issuer: issuer, client: client, copies: copies)
        case "authorization_code": return try await authorizationCode(form, issuer: issuer, client: client)
        default: return try await refresh(form, issuer: issuer, client: client)
        }
    }

    // MARK: Grants

    private func clientCredentials(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord,
                                   copies: DirectoryCopies?) async throws -> Response {
        guard client.isConfidential else { throw OAuthError.unauthorizedClient("a public client cannot use client_credentials") }
        // Application roles are tenant-wide; a consumer realm has none to grant, whatever its store says.
        guard issuer.kind == .tenant else {
            throw OAuthError.invalidScope("issuer '\(issuer.id)' is a consumer realm, which has no tenant-wide roles to grant")
        }
        let resources: [ResourceRecord]
        if let copies {
            let copied = try await context.directory.copiedResources(issuerID: issuer.id)
            copies.record(copied.version)
            resources = copied.resources
        } else {
            resources = try await context.directory.resources(issuerID: issuer.id)
        }
        let scope = try GrantedScope.application(scope: form["scope"], resourceParameter: form["resource"], client: client, resources: resources)
        let grant = TokenMinter.Grant(issuer: issuer, client: client, user: nil, scope: scope, grantType: "client_credentials")
        let access = try await minter.accessToken(grant, now: context.now())
        try await context.store.commit(IssuanceEntry(records: [access.record], directoryVersion: copies?.version))
        ProviderMetrics.tokenIssued(issuer: issuer.id, grant: "client_credentials", kind: "access")
        return tokenResponse(access: access, idToken: nil, refreshToken: nil,
                             scope: scope.roles.map { "\(scope.resource!)/\($0)" }.joined(separator: " "))
    }

    private func authorizationCode(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord) async throws -> Response {
        let code = try form.require("code")
        let redirectURI = try form.require("redirect_uri")
        let verifier = try form.require("code_verifier")
        guard PKCE.isValidVerifier(verifier) else {
            throw OAuthError.invalidRequest("code_verifier must be 43–128 characters of A-Z a-z 0-9 - . _ ~")
        }
        let now = context.now()
        let chainID = Secrets.uuid()
        let redemption = try await context.store.redeemCode(issuerID: issuer.id, codeHash: Secrets.hexDigest(code), chainID: chainID, now: now)
        let record: AuthorizationCodeRecord
        switch redemption {
        case .unknown: throw OAuthError.invalidGrant("unknown authorization code")
        case .replayed: throw OAuthError.invalidGrant("the authorization code was already used; the tokens it produced are revoked")
        case .redeemed(let redeemed): record = redeemed
        }
        guard record.clientID.isExactly(client.clientID) else { throw OAuthError.invalidGrant("the code was issued to another client") }
        guard record.expiresAt > now else { throw OAuthError.invalidGrant("the authorization code expired") }
        guard record.redirectURI.isExactly(redirectURI) else { throw OAuthError.invalidGrant("redirect_uri differs from the authorization request") }
        guard Secrets.constantTimeEquals(PKCE.challenge(for: verifier), record.codeChallenge) else {
            throw OAuthError.invalidGrant("the code_verifier does not match the code_challenge")
        }
        guard let user = try await context.store.user(issuerID: issuer.id, subject: record.subject), !user.isDisabled else {
            throw OAuthError.invalidGrant("the user is no longer active")
        }
        let grant = TokenMinter.Grant(
            issuer: issuer, client: client, user: user, scope: .stored(scope: record.scope, resource: record.resource),
            grantType: "authorization_code", sessionID: record.sessionID, authTime: record.authTime, nonce: record.nonce,
            chainID: chainID, parentTokenID: nil)
        return try await issueDelegated(grant, chainStartedAt: now, now: now)
    }

    private func refresh(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord) async throws -> Response {
        let presented = try form.require("refresh_token")
        let now = context.now()
        let exchange = try await context.store.spendRefreshToken(issuerID: issuer.id, tokenHash: Secrets.hexDigest(presented), now: now)
        let spent: RefreshTokenRecord
        switch exchange {
        case .unknown: throw OAuthError.invalidGrant("unknown refresh token")
        case .inactive: throw OAuthError.invalidGrant("the refresh token is expired or revoked")
        case .reused: throw OAuthError.invalidGrant("the refresh token was already used; its whole chain is now revoked")
        case .exchanged(let record): spent = record
        }
        guard spent.clientID.isExactly(client.clientID) else {
            try await context.store.revokeChain(issuerID: issuer.id, chainID: spent.chainID, reason: "refresh token presented by another client", kind: .refreshTokenMisuse,
                                          now: now)
            throw OAuthError.invalidGrant("the refresh token was issued to another client")
        }
        guard let user = try await context.store.user(issuerID: issuer.id, subject: spent.subject), !user.isDisabled else {
            throw OAuthError.invalidGrant("the user is no longer active")
        }
        let scope = try GrantedScope.stored(scope: spent.scope, resource: spent.resource).narrowed(to: form["scope"])
        let chainStart = try await context.store.refreshChain(issuerID: issuer.id, chainID: spent.chainID).first?.issuedAt ?? spent.issuedAt
        let grant = TokenMinter.Grant(
            issuer: issuer, client: client, user: user, scope: scope, grantType: "refresh_token", sessionID: spent.sessionID,
            authTime: spent.authTime, nonce: nil, chainID: spent.chainID, parentTokenID: spent.tokenID)
        return try await issueDelegated(grant, chainStartedAt: chainStart, now: now)
    }

    /// Access token, ID token (with `openid`) and a rotated refresh token, committed together.
    private func issueDelegated(_ grant: TokenMinter.Grant, chainStartedAt: Date, now: Date) async throws -> Response {
        let access = try await minter.accessToken(grant, now: now)
        let idToken = try await minter.idToken(grant, accessToken: access.token, now: now)
        let refresh = minter.refreshToken(grant, chainStartedAt: chainStartedAt, now: now)
        var records = [access.record]
        if let idToken { records.append(idToken.record) }
        if let refresh { records.append(refresh.record) }
        do {
            try await context.store.commit(IssuanceEntry(records: records, refreshToken: refresh?.state))
        } catch {
            if error.code == .chainRevoked {
                throw OAuthError.invalidGrant("the grant was revoked while it was being exchanged (reuse or replay detected)")
            }
            throw error
        }
        for record in records { ProviderMetrics.tokenIssued(issuer: grant.issuer.id, grant: grant.grantType, kind: record.kind.rawValue) }
        return tokenResponse(access: access, idToken: idToken?.token, refreshToken: refresh?.token, scope: grant.scope.scopeString)
    }

    private func tokenResponse(access: TokenMinter.Minted, idToken: String?, refreshToken: String?, scope: String) -> Response {
        var body = JSONObject([
            "access_token": .string(access.token),
            "token_type": .string("Bearer"),
            "expires_in": .number(access.record.expiresAt.timeIntervalSince(access.record.issuedAt).rounded()),
        ])
        if !scope.isEmpty { body["scope"] = .string(scope) }
        if let idToken { body["id_token"] = .string(idToken) }
        if let refreshToken { body["refresh_token"] = .string(refreshToken) }
        return JSONResponse.make(body, headers: [.cacheControl: "no-store", .pragma: "no-cache"])
    }
}

/// RFC 7636 with S256 only.
enum PKCE {
    /// `BASE64URL(SHA256(verifier))`.
    static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }

    /// 43–128 characters of the unreserved set (RFC 7636 §4.1).
    static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy(isUnreserved)
    }

    /// An S256 challenge is exactly 43 base64url characters.
    static func isValidChallenge(_ challenge: String) -> Bool {
        challenge.utf8.count == 43 && challenge.utf8.allSatisfy { isUnreserved($0) && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "~") }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}
