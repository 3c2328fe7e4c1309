import Foundation
import Keybound
import KeyboundStore

/// Checks a JWT presented back to the provider (introspection, revocation, userinfo): it must be
/// a token this issuer signed with its own key, in the issuance ledger with the same claims
/// digest, unexpired and not revoked. A token that verifies but is not in the ledger is a forgery.
///
/// Expiry gets no clock-skew allowance here: the provider's clock is the one that set `exp`, so a
/// token is expired from `exp` on (RFC 7519 §4.1.4; RFC 7662 §4, RFC 6750 §3.1).
struct IssuedTokenCheck: Sendable {
    let context: ProviderContext

    enum Outcome: Sendable {
        case active(VerifiedToken, IssuanceRecord)
        case inactive(String)
    }

    /// `audience` is the audience the caller requires; `nil` takes the one the ledger recorded.
    func check(_ token: String, issuer: IssuerRecord, audience: String?, tokenType: ExpectedTokenType) async throws -> Outcome {
        let now = context.now()
        let inspection = TokenInspection(token: token, now: now, tokenType: tokenType)
        guard case .string(let jti)? = inspection.claims?["jti"] else { return .inactive("the token has no jti") }
        guard let record = try await context.store.issuance(issuerID: issuer.id, tokenID: jti), record.issuerID.isExactly(issuer.id) else {
            return .inactive("the token is not in this issuer's issuance ledger")
        }
        guard let expected = audience ?? record.audience.first else { return .inactive("the ledger record has no audience") }
        let policy = try VerificationPolicy(audience: expected, tokenType: tokenType)
        var trust = TrustStore()
        if let trusted = try await context.keys.trust().issuer(issuer.url) { try trust.add(trusted) }
        // The verifier's skew still covers the key's window (iat is whole seconds); exp is checked below, exactly.
        switch TokenVerifier(trust: trust, policy: policy, clock: .fixed(now)).verify(token) {
        case .rejected(let rejection):
            return .inactive(rejection.description)
        case .verified(let verified):
            guard let expiresAt = verified.expiresAt, now < expiresAt else {
                return .inactive("the token has expired (the provider allows no clock skew for its own tokens)")
            }
            guard Secrets.constantTimeEquals(Secrets.hexDigest(bytes: verified.payload), record.claimsDigest) else {
                return .inactive("the token's claims differ from the issued token")
            }
            if let revocation = try await context.store.revocation(issuerID: issuer.id, tokenID: jti) {
                return .inactive("the token was revoked: \(revocation.reason)")
            }
            return .active(verified, record)
        }
    }
}
