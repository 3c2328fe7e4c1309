import Foundation
import Keybound
import KeyboundResourceKit
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import KeyboundValidation

/// Trust for a protected resource inside the provider's process: it trusts the provider's own
/// issuers and reads their keys straight from the key store (a revocation made in this process is
/// seen by the next request; one made by another process within the key cache's check interval),
/// and empties its verified-token cache on every key event.
///
/// Token revocations made in this process (RFC 7009, refresh-token reuse, code replay) evict the
/// token from the cache as they commit, so the very next request with it is refused
/// (`token_revoked`, by the issuance-ledger check). One made by another process (an operator's
/// `keybound incident respond`) is refused at once for an uncached token and at the latest after
/// the cache's maximum age (60 s) for a cached one.
public enum ProviderResourceTrust {
    /// Trust for the resource with `audience`, over the provider's `issuers`.
    ///
    /// `ledgerCheck` (on by default) adds `IssuanceLedgerCheck`: a token must be in the issuance
    /// ledger with the same claims, so a forgery with a stolen key of the right issuer is refused
    /// (`token_not_issued`) rather than only found later by a hunt. `clock` is the verifier's clock.
    public static func make(context: ProviderContext, issuers: [IssuerRecord], audience: String, ledgerCheck: Bool = true,
                            clock: VerificationClock = .system,
                            onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in }) throws(PolicyError) -> ResourceTrust {
        let policy = try VerificationPolicy(audience: audience)
        let cache = VerifiedTokenCache()
        let keys = context.keys
        let issuerIDs = Dictionary(issuers.map { (ExactString($0.url), $0.id) }, uniquingKeysWith: { first, _ in first })
        let checks: [any OnlineTokenCheck] = ledgerCheck ? [IssuanceLedgerCheck(store: context.store, issuerIDs: { issuerIDs })] : []
        let issuerURLs = Dictionary(issuers.map { (ExactString($0.id), $0.url) }, uniquingKeysWith: { first, _ in first })
        context.store.tokenEventsAppended.observe { [weak cache] events in
            for event in events where event.reason != nil {
                guard let url = issuerURLs[ExactString(event.issuerID)] else { continue }
                cache?.invalidate(issuer: url, tokenID: event.tokenID)
            }
        }
        let trust = VersionedTrustVerifier(policy: policy, cache: cache, clock: clock) {
            let current = try await keys.currentTrust()
            return (current.sequence, current.trust)
        }
        return ResourceTrust(cache: cache, onlineChecks: checks, onRejection: onRejection, verifier: { await trust.verifier() })
    }
}
