import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The `authorization_code` grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only): the code is
/// spent once; a replay revokes what it produced.
extension TokenEndpoint {
    func authorizationCode(_ form: FormBody, issuer: IssuerRecord, client: ClientRecord) async throws -> Response {
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
            grantType: GrantType.authorizationCode.rawValue, sessionID: record.sessionID, authTime: record.authTime, nonce: record.nonce,
            chainID: chainID, parentTokenID: nil)
        return try await issueDelegated(grant, chainStartedAt: now, now: now)
    }
}
