import Foundation
import Keybound
import KeyboundStore

/// Checks a JWT presented back to the provider (introspection, revocation, userinfo): it must be
/// a token this issuer signed with its own key, in the issuance ledger with the same claims
/// digest, and not revoked. A token that verifies but is not in the ledger is a forgery.
struct IssuedTokenCheck: Sendable {
    let context: ProviderContext

    enum Outcome: Sendable {
        case active(VerifiedToken, IssuanceRecord)
        case inactive(String)
    }

    /// `audience` is the audience the caller requires; `nil` takes the one the ledger recorded.
    func check(_ token: String, issuer: IssuerRecord, audience: String?, tokenType: ExpectedTokenType) throws -> Outcome {
        let inspection = TokenInspection(token: token, now: context.now(), tokenType: tokenType)
        guard case .string(let jti)? = inspection.claims?["jti"] else { return .inactive("the token has no jti") }
        guard let record = try context.store.issuance(tokenID: jti), record.issuerID.isExactly(issuer.id) else {
            return .inactive("the token is not in this issuer's issuance ledger")
        }
        guard let expected = audience ?? record.audience.first else { return .inactive("the ledger record has no audience") }
        let policy = try VerificationPolicy(audience: expected, tokenType: tokenType)
        var trust = TrustStore()
        if let trusted = try context.keys.trust().issuer(issuer.url) { try trust.add(trusted) }
        switch TokenVerifier(trust: trust, policy: policy, clock: .fixed(context.now())).verify(token) {
        case .rejected(let rejection):
            return .inactive(rejection.description)
        case .verified(let verified):
            guard Secrets.constantTimeEquals(Secrets.hexDigest(bytes: verified.payload), record.claimsDigest) else {
                return .inactive("the token's claims differ from the issued token")
            }
            if let revocation = try context.store.revocation(of: jti) {
                return .inactive("the token was revoked: \(revocation.reason)")
            }
            return .active(verified, record)
        }
    }
}
