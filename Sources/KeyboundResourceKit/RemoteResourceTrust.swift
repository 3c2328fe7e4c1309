import AsyncHTTPClient
import Foundation
import Keybound
import ServiceLifecycle
import KeyboundValidation

/// Trust for a protected resource in a process of its own, over HTTP as any validator elsewhere
/// must: keys from each issuer's discovery and JWKS (`RemoteTrustStore`), key revocations and new
/// keys over the key-event push channel, and token revocations over each issuer's token-event
/// stream where it holds server-client credentials. A token with a `kid` the store does not know
/// makes it refresh that issuer (rate-limited), since the key may be new. For every issuer that
/// advertises an issuance feed, a token its provider never issued is refused (`IssuanceFeedCheck`,
/// fed by the token-event stream; docs/issuance-feed.md).
public enum RemoteResourceTrust {
    /// Trust in `trust`'s issuers for the resource with `audience`.
    ///
    /// - Parameters:
    ///   - audience: the `aud` the resource's tokens must carry.
    ///   - trust: the issuers trusted, with their keys, kept current by the key-event stream. Its
    ///     `cache` (the one it evicts from on key revocations) is the verified-token cache; without
    ///     one, no token is cached.
    ///   - credentials: server-client credentials by issuer URL (exactly as trusted), for the
    ///     authenticated streams; an issuer without them has its token revocations unfollowed, and
    ///     if it advertises an issuance feed, its tokens are refused (`ledger_unavailable`) unless
    ///     `issuanceCheck` skips it.
    ///   - issuanceCheck: the remote forgery check: on for every issuer whose discovery advertises
    ///     `issuance_feed_endpoint`, except those it names as skipped.
    ///   - clock: the verifier's clock.
    ///   - onKeyEvent: called for each key event received (after `trust` applied it).
    ///   - onTokenRevoked: called for each token revocation received (after the cache evicted it).
    public static func make(audience: String, trust: RemoteTrustStore,
                            credentials: [String: StreamCredentials] = [:], issuanceCheck: RemoteIssuanceCheck = RemoteIssuanceCheck(),
                            clock: VerificationClock = .system,
                            onKeyEvent: @escaping @Sendable (KeyEventNotice) -> Void = { _ in },
                            onTokenRevoked: @escaping @Sendable (TokenEventNotice) -> Void = { _ in }) throws(PolicyError) -> ResourceTrust {
        try make(audience: audience, trust: trust, credentials: credentials, issuanceCheck: issuanceCheck, clock: clock,
                 keyEvents: KeyEventSubscriber(store: trust, credentials: credentials, onEvent: onKeyEvent), onTokenRevoked: onTokenRevoked)
    }

    /// As above, every stream and status call going through `client` (which must not follow
    /// redirects; the drill's, so that it can be shut down before the servers). Key events are
    /// followed anonymously.
    package static func make(audience: String, trust: RemoteTrustStore, client: HTTPClient, credentials: [String: StreamCredentials],
                             issuanceCheck: RemoteIssuanceCheck, clock: VerificationClock) throws(PolicyError) -> ResourceTrust {
        try make(audience: audience, trust: trust, credentials: credentials, issuanceCheck: issuanceCheck, clock: clock,
                 keyEvents: KeyEventSubscriber(store: trust, client: client), client: client, onTokenRevoked: { _ in })
    }

    private static func make(audience: String, trust: RemoteTrustStore, credentials: [String: StreamCredentials],
                             issuanceCheck: RemoteIssuanceCheck, clock: VerificationClock, keyEvents: KeyEventSubscriber,
                             client: HTTPClient? = nil,
                             onTokenRevoked: @escaping @Sendable (TokenEventNotice) -> Void) throws(PolicyError) -> ResourceTrust {
        let revoked = RevokedTokens()
        let policy = try VerificationPolicy(audience: audience, additionalChecks: [RevokedTokenCheck(revoked)])
        // A skipped issuer's entries are not kept: they would only take room in the capped set.
        let feed = IssuanceFeed(maximumEntries: issuanceCheck.maximumEntries,
                                holds: { issuer in !issuanceCheck.skipped.contains { $0.isExactly(issuer) } })
        let endpoint: @Sendable (String) -> URL? = { issuer in trust.issuanceFeed(issuer)?.status }
        let status = client.map { HTTPIssuanceStatus(endpoint: endpoint, credentials: credentials, timeout: .seconds(2), client: $0) }
            ?? HTTPIssuanceStatus(endpoint: endpoint, credentials: credentials)
        let check = IssuanceFeedCheck(issued: feed.issued, feeds: feed.feeds, status: status, limits: issuanceCheck.limits,
                                      applies: { issuer in issuanceCheck.state(of: issuer, in: trust) == .on })
        let followed = trust.configuration.issuers.compactMap { issuer in
            credentials[issuer.url].map { TokenEventSubscriber.Issuer(url: issuer.url, credentials: $0) }
        }
        var subscribers: [any Service] = [keyEvents]
        if !followed.isEmpty {
            let now: @Sendable () -> Date = { clock.now() }
            subscribers.append(client.map {
                TokenEventSubscriber(issuers: followed, revoked: revoked, cache: trust.cache, issuance: feed, client: $0, now: now,
                                     onEvent: onTokenRevoked)
            } ?? TokenEventSubscriber(issuers: followed, revoked: revoked, cache: trust.cache, issuance: feed, now: now,
                                      onEvent: onTokenRevoked))
        }
        // A stale feed also ends its issuer's cached tokens, so that every token is checked (and refused).
        subscribers.append(IssuanceFeedWatchdog(feeds: feed.feeds, issuers: trust.configuration.issuers.map(\.url),
                                                applies: { issuer in issuanceCheck.state(of: issuer, in: trust) == .on },
                                                staleness: issuanceCheck.limits.feedStaleness, cache: trust.cache))
        return ResourceTrust(
            cache: trust.cache, onlineChecks: [check], subscribers: subscribers,
            onRejection: { rejection in
                // A kid this store does not know may be a fresh key: refresh (rate-limited per issuer).
                guard rejection.code == .unknownKey, let issuer = rejection.tokenIssuer, let kid = rejection.keyID else { return }
                Task { _ = await trust.refreshForUnknownKey(issuer: issuer, keyID: kid) }
            },
            verifier: { TokenVerifier(trust: trust.trustStore(), policy: policy, clock: clock) })
    }
}
