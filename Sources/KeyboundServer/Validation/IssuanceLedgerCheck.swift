import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore

/// Online forgery detection: an `OnlineTokenCheck` that accepts a token only
/// if the issuance ledger holds, for the token's issuer, a token with its `jti` and the same claims digest
/// (SHA-256 of the exact payload bytes, compared in constant time), and not revoked.
///
/// It runs after the (synchronous, pure) verifier, so the token already verified under its own
/// issuer's key; its ledger read does not block a concurrency thread.
/// What it adds is the case a signature cannot decide: a stolen key that *is* valid for its issuer
/// signing claims Keybound never issued (`token_not_issued`, `token_claims_mismatch`, both alerts).
/// A ledger that cannot be read refuses the token (`ledger_unavailable`): fail closed.
///
/// On by default for validators in the provider's process (Keybound Mail in
/// `keybound serve --with-mail`); with a `VerifiedTokenCache` in front it
/// runs once per token, not once per request.
public struct IssuanceLedgerCheck: OnlineTokenCheck {
    let store: any ProviderStore
    let issuerIDs: @Sendable () -> [ExactString: String]

    /// A check against `store`'s ledger; `issuerIDs` maps issuer URLs (`iss`) to the ledger's issuer ids.
    public init(store: any ProviderStore, issuerIDs: @escaping @Sendable () -> [ExactString: String]) {
        self.store = store
        self.issuerIDs = issuerIDs
    }

    public func check(_ token: VerifiedToken, now: Date) async -> TokenCheckVerdict {
        let issuer = token.issuer
        guard let tokenID = token.tokenID else {
            return .reject(TokenRejection(.tokenNotIssued, "the token has no jti, so it cannot be in the issuance ledger",
                                          tokenIssuer: issuer, keyID: token.keyID))
        }
        guard let issuerID = issuerIDs()[ExactString(issuer)] else {
            return .reject(TokenRejection(.tokenNotIssued, "the issuer has no issuance ledger here: a forgery with a real key",
                                          tokenIssuer: issuer, keyID: token.keyID))
        }
        let status: IssuanceStatus?
        do { status = try await store.issuanceStatus(issuerID: issuerID, tokenID: tokenID) } catch {
            return .reject(TokenRejection(.ledgerUnavailable, "the issuance ledger could not be read", tokenIssuer: issuer, keyID: token.keyID))
        }
        guard let status, status.record.issuerID.isExactly(issuerID), status.record.kind == .access else {
            return .reject(TokenRejection(.tokenNotIssued, "the issuer's ledger has no access token with this jti: a forgery with a real key",
                                          tokenIssuer: issuer, keyID: token.keyID))
        }
        guard Secrets.constantTimeEquals(Secrets.hexDigest(bytes: token.payload), status.record.claimsDigest) else {
            return .reject(TokenRejection(.tokenClaimsMismatch, "the claims differ from the token issued with this jti",
                                          tokenIssuer: issuer, keyID: token.keyID))
        }
        if let reason = status.revocationReason {
            return .reject(TokenRejection(.tokenRevoked, "the token was revoked: \(reason)", tokenIssuer: issuer, keyID: token.keyID))
        }
        return .accept
    }
}
