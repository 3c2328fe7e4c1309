import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The `refresh_token` grant (RFC 6749 §6) with rotation: each refresh token is spent once; a
/// reused one, or one presented by another client, revokes its whole chain.
extension TokenEndpoint {
    func refresh(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord) async throws -> Response {
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
            issuer: issuer, client: client, user: user, scope: scope, grantType: GrantType.refreshToken.rawValue, sessionID: spent.sessionID,
            authTime: spent.authTime, nonce: nil, chainID: spent.chainID, parentTokenID: spent.tokenID)
        return try await issueDelegated(grant, chainStartedAt: chainStart, now: now)
    }
}
