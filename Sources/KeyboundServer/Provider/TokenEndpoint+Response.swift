import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// What the delegated grants share: the tokens minted and committed together, and the response.
extension TokenEndpoint {
    /// Access token, ID token (with `openid`) and a rotated refresh token, committed together.
    func issueDelegated(_ grant: TokenMinter.Grant, chainStartedAt: Date, now: Date) async throws -> Response {
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

    func tokenResponse(access: TokenMinter.Minted, idToken: String?, refreshToken: String?, scope: String) -> Response {
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
