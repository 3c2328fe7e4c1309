import Foundation
import Keybound
import Synchronization

/// Trust for validators in other processes than the provider: the issuers they trust are
/// configured by URL (never "any issuer"); their keys are fetched from each issuer's discovery
/// document and JWKS and kept as a `TrustStore` with only that issuer's keys.
///
/// - The JWKS is refreshed when its `Cache-Control: max-age` runs out (bounded by
///   ``Configuration/maximumMaxAge``), and early when a token names an unknown `kid` — but at most
///   once per ``Configuration/minimumRefreshInterval`` per issuer, so random kids cannot cause a
///   fetch storm.
/// - When the provider is unreachable, the last good key set keeps serving.
/// - An issuer whose keys were never loaded is simply absent: its tokens are rejected
///   (`untrusted_issuer`), the store fails closed.
/// - ``revoke(issuer:keyID:)`` removes a key at once (``KeyEventSubscriber``, the push channel,
///   calls it). A revoked key stays in the store as revoked even when it leaves the JWKS, so its
///   tokens keep getting the alert code `key_revoked` rather than `unknown_key`.
public final class RemoteTrustStore: Sendable {
    /// One trusted issuer.
    public struct Issuer: Sendable, Hashable {
        /// The issuer identifier, exactly as in `iss` and in its discovery document.
        public let url: String
        /// The tenant id its tokens must carry, if the operator pins it (`--trust URL#tid`). The
        /// issuer's discovery document must say the same, or its keys are not loaded.
        public let tenantID: String?

        /// The origin (`scheme://host[:port]`) the issuer's `jwks_uri` may be on, when it is not the
        /// issuer's own origin. `nil`: the key set must be on the issuer's origin.
        public let jwksOrigin: String?

        /// An issuer to trust. Its tenancy (`tenant_id`, `tenant_kind`) and maximum token lifetime
        /// come from its discovery document; `tenantID`, if given, must agree with it.
        public init(url: String, tenantID: String? = nil, jwksOrigin: String? = nil) {
            self.url = url
            self.tenantID = tenantID
            self.jwksOrigin = jwksOrigin
        }
    }

    /// Refresh behaviour.
    public struct Configuration: Sendable {
        /// The issuers to trust. Must not be empty.
        public var issuers: [Issuer]
        /// Key sets are considered fresh this long when the response has no `max-age`.
        public var defaultMaxAge: TimeInterval = 300
        /// No key set is trusted fresh longer than this, whatever `max-age` says.
        public var maximumMaxAge: TimeInterval = 3_600
        /// At most one unknown-`kid` refresh per issuer per this interval.
        public var minimumRefreshInterval: TimeInterval = 30
        /// The largest discovery document or JWKS accepted.
        public var maximumDocumentBytes = 256 * 1024

        /// Whether plain-http issuers on other hosts than loopback are accepted (development only).
        public let allowsInsecureHTTP: Bool

        /// A configuration. Throws if `issuers` is empty, or names an issuer URL (or a JWKS origin)
        /// that is not https: plain http is accepted only on a loopback host, or everywhere when
        /// `allowingInsecureHTTP` is set (an explicit development switch; never in production).
        public init(issuers: [Issuer], allowingInsecureHTTP: Bool = false) throws(RemoteTrustError) {
            guard !issuers.isEmpty else { throw RemoteTrustError("configure at least one trusted issuer; there is no 'any issuer'") }
            // Issuers are told apart by their exact bytes; two URLs that Swift's String equality
            // would merge (the same, or canonically equivalent) would share one issuer's state and credentials.
            for (index, issuer) in issuers.enumerated() where issuers[..<index].contains(where: { $0.url == issuer.url }) {
                throw RemoteTrustError("the issuer URL '\(issuer.url)' is given twice (or as two canonically equivalent spellings)")
            }
            for issuer in issuers {
                for (what, text) in [("issuer URL", issuer.url)] + (issuer.jwksOrigin.map { [("JWKS origin", $0)] } ?? []) {
                    guard let url = URL(string: text), url.host != nil else { throw RemoteTrustError("'\(text)' is not an absolute \(what)") }
                    guard TransportRule.isAllowed(url, insecureHTTP: allowingInsecureHTTP) else {
                        throw RemoteTrustError("\(what) '\(text)' is not https: plain http is trusted only on a loopback host, or with the development switch")
                    }
                }
            }
            self.issuers = issuers
            self.allowsInsecureHTTP = allowingInsecureHTTP
        }
    }

    private struct IssuerState {
        var trusted: TrustedIssuer?
        /// The tenancy of the first key set loaded: a later discovery document may not change it.
        var tenancy: Tenancy?
        /// The first issuance feed the issuer's discovery advertised: kept from then on.
        var issuanceFeed: AdvertisedIssuanceFeed?
        var freshUntil: Date = .distantPast
        var lastAttempt: Date = .distantPast
        var lastError: String?
        var revoked: Set<String> = []
        /// Keys that recently left the JWKS (at most ``departedLimit``, oldest first): a revocation
        /// that arrives after the JWKS already dropped its key brings the key back, as revoked.
        var departed: [(keyID: String, key: TrustedKey)] = []
        /// Refreshes started and the latest one applied: an older fetch never replaces a newer one.
        var refreshesStarted: UInt64 = 0
        var appliedRefresh: UInt64 = 0
    }

    /// How many keys that left the JWKS are remembered per issuer.
    static let departedLimit = 64

    /// The configuration.
    public let configuration: Configuration
    let fetcher: any HTTPFetching
    let now: @Sendable () -> Date
    /// The verified-token cache this store clears for a key the moment it is revoked or leaves the
    /// issuer's JWKS: the only cache a validator over this store may use.
    public let cache: VerifiedTokenCache?
    private let states: Mutex<[String: IssuerState]>
    /// Per issuer URL: the push channel's refreshes, coalesced.
    private let pushRefreshes: [String: RefreshCoalescer]

    /// A store that fetches with `fetcher` (``AsyncHTTPClientFetcher`` by default: no redirects,
    /// the size cap enforced while the body streams in). Nothing is fetched until
    /// ``refreshAll()`` or a verification asks. `cache`, if given, loses a key's entries the
    /// moment that key is revoked or disappears from its issuer's JWKS.
    public init(configuration: Configuration, fetcher: any HTTPFetching = AsyncHTTPClientFetcher(),
                cache: VerifiedTokenCache? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.fetcher = fetcher
        self.cache = cache
        self.now = now
        self.states = Mutex(Dictionary(uniqueKeysWithValues: configuration.issuers.map { ($0.url, IssuerState()) }))
        self.pushRefreshes = Dictionary(uniqueKeysWithValues: configuration.issuers.map { ($0.url, RefreshCoalescer()) })
    }

    /// The trust store of every issuer loaded so far, without revoked keys.
    public func trustStore() -> TrustStore {
        states.withLock { states in
            var trust = TrustStore()
            for issuer in configuration.issuers {
                guard var trusted = states[issuer.url]?.trusted else { continue }
                for kid in states[issuer.url]?.revoked ?? [] { _ = trusted.updateLifecycle(ofKeyID: kid, to: KeyLifecycle(revocation: .init(at: .distantPast, reason: "revoked by the provider"))) }
                try? trust.add(trusted)
            }
            return trust
        }
    }

    /// Whether `issuer`'s keys have been loaded at least once.
    public func isLoaded(_ issuer: String) -> Bool { states.withLock { $0[issuer]?.trusted != nil } }

    /// The tenancy `issuer`'s discovery document published, once its keys are loaded.
    public func tenancy(_ issuer: String) -> Tenancy? { states.withLock { $0[issuer]?.tenancy } }

    /// The issuance feed `issuer`'s discovery document advertised (the first one seen), if any.
    public func issuanceFeed(_ issuer: String) -> AdvertisedIssuanceFeed? { states.withLock { $0[issuer]?.issuanceFeed } }

    /// The last refresh error of `issuer`, if its last attempt failed.
    public func lastError(_ issuer: String) -> String? { states.withLock { $0[issuer]?.lastError } }

    /// Refreshes every issuer whose key set is stale (all of them at first). Failures keep the
    /// last good set and are reported by ``lastError(_:)``.
    public func refreshAll() async {
        for issuer in configuration.issuers where isStale(issuer.url) {
            _ = await refresh(issuer)
        }
    }

    /// Called when a token of a trusted issuer names a `kid` the store does not know: refreshes
    /// that issuer unless it was tried within ``Configuration/minimumRefreshInterval``. Returns
    /// whether the key is now known.
    public func refreshForUnknownKey(issuer url: String, keyID: String) async -> Bool {
        guard let issuer = configuration.issuers.first(where: { $0.url.isExactly(url) }) else { return false }
        let current = now()
        let allowed = states.withLock { states -> Bool in
            guard let state = states[issuer.url] else { return false }
            return current.timeIntervalSince(state.lastAttempt) >= configuration.minimumRefreshInterval
        }
        guard allowed else { return false }
        _ = await refresh(issuer)
        return states.withLock { $0[issuer.url]?.trusted?.key(withID: keyID) != nil }
    }

    /// Revokes a key at once (from the provider's push channel), whatever the cached JWKS says.
    /// The key stays revoked: a later JWKS without it keeps it in the store as revoked, and a key
    /// that recently left the JWKS (a refresh got there before the event) comes back as revoked.
    public func revoke(issuer: String, keyID: String) {
        states.withLock { states in
            guard var state = states[issuer] else { return }
            state.revoked.insert(keyID)
            if state.trusted?.key(withID: keyID) == nil, let departed = state.departed.last(where: { $0.keyID == keyID }) {
                try? state.trusted?.add(departed.key)
            }
            states[issuer] = state
        }
        cache?.invalidate(issuer: issuer, keyID: keyID)
    }

    /// Refreshes `issuer` now, whatever ``Configuration/minimumRefreshInterval`` says (the push
    /// channel learned that its key set changed). Concurrent calls are coalesced, but never answered
    /// with a fetch that started before the call. Returns whether the refresh succeeded; an issuer
    /// that is not configured is never fetched.
    func refreshNow(issuer url: String) async -> Bool {
        guard let issuer = configuration.issuers.first(where: { $0.url.isExactly(url) }),
              let coalescer = pushRefreshes[issuer.url] else { return false }
        return await coalescer.run { await self.refresh(issuer) }
    }

    func isStale(_ url: String) -> Bool {
        let current = now()
        return states.withLock { ($0[url]?.freshUntil ?? .distantPast) <= current }
    }

    /// Fetches discovery and JWKS of `issuer`; on success replaces its keys.
    @discardableResult
    func refresh(_ issuer: Issuer) async -> Bool {
        let started = now()
        let ticket = states.withLock { states -> UInt64 in
            states[issuer.url]?.lastAttempt = started
            states[issuer.url]?.refreshesStarted += 1
            return states[issuer.url]?.refreshesStarted ?? 0
        }
        do {
            let (fetched, maxAge, feed) = try await load(issuer)
            let lifetime = min(maxAge ?? configuration.defaultMaxAge, configuration.maximumMaxAge)
            let removed: [String] = states.withLock { states in
                guard let state = states[issuer.url], ticket > state.appliedRefresh else { return [] }  // a newer fetch is in place
                let before = state.trusted?.keyIDs ?? []
                var trusted = fetched
                // A revoked key that left the JWKS stays, as revoked: its tokens keep their alert code.
                for keyID in state.revoked where trusted.key(withID: keyID) == nil {
                    if let old = state.trusted?.key(withID: keyID) { try? trusted.add(old) }
                }
                let removed = before.filter { trusted.key(withID: $0) == nil }
                var departed = state.departed
                for keyID in removed { if let key = state.trusted?.key(withID: keyID) { departed.append((keyID, key)) } }
                states[issuer.url]?.departed = Array(departed.suffix(Self.departedLimit))
                states[issuer.url]?.appliedRefresh = ticket
                states[issuer.url]?.trusted = trusted
                states[issuer.url]?.tenancy = trusted.tenancy
                if state.issuanceFeed == nil { states[issuer.url]?.issuanceFeed = feed }
                states[issuer.url]?.freshUntil = started.addingTimeInterval(lifetime)
                states[issuer.url]?.lastError = nil
                return removed
            }
            for keyID in removed { cache?.invalidate(issuer: issuer.url, keyID: keyID) }
            return true
        } catch {
            states.withLock { $0[issuer.url]?.lastError = "\(error)" }
            return false
        }
    }

    private func load(_ issuer: Issuer) async throws -> (TrustedIssuer, TimeInterval?, AdvertisedIssuanceFeed?) {
        guard let discoveryURL = URL(string: issuer.url + "/.well-known/openid-configuration") else {
            throw RemoteTrustError("cannot form the discovery URL of '\(issuer.url)'")
        }
        let discovery = try await fetchJSON(discoveryURL)
        guard case .string(let declared)? = discovery.object["issuer"], declared.isExactly(issuer.url) else {
            throw RemoteTrustError("the discovery document at \(discoveryURL.absoluteString) names another issuer")
        }
        guard case .string(let jwksText)? = discovery.object["jwks_uri"], let jwksURL = URL(string: jwksText),
              TransportRule.isAllowed(jwksURL, insecureHTTP: configuration.allowsInsecureHTTP) else {
            throw RemoteTrustError("the discovery document of '\(issuer.url)' has no usable jwks_uri")
        }
        // The key set is the issuer's only if it is on the issuer's origin (or one the operator named).
        let allowedOrigin = issuer.jwksOrigin.flatMap { URL(string: $0) }.flatMap(TransportRule.origin) ?? URL(string: issuer.url).flatMap(TransportRule.origin)
        guard let allowedOrigin, TransportRule.origin(jwksURL) == allowedOrigin else {
            throw RemoteTrustError("the jwks_uri of '\(issuer.url)' (\(jwksText.prefix(200))) is not on the issuer's origin; name its origin in the trust entry to allow it")
        }
        let published = try PublishedTenancy(discovery: discovery.object, issuer: issuer)
        if let pinned = states.withLock({ $0[issuer.url]?.tenancy }), pinned != published.tenancy {
            throw RemoteTrustError("the discovery document of '\(issuer.url)' changed its tenancy; the first one seen stays (restart to accept a new one)")
        }
        let feed = try AdvertisedIssuanceFeed.parse(discovery.object, issuerURL: issuer.url, insecureHTTP: configuration.allowsInsecureHTTP)
        let keys = try await fetchJSON(jwksURL)
        let keySet = try JWKSet(jsonObject: keys.object)
        let trusted = try TrustedIssuer(identifier: issuer.url, tenancy: published.tenancy,
                                        maximumTokenLifetime: published.maximumTokenLifetime, keySet: keySet)
        return (trusted, keys.maxAge, feed)
    }

    private func fetchJSON(_ url: URL) async throws -> (object: JSONObject, maxAge: TimeInterval?) {
        let result = try await fetcher.get(url, maximumBytes: configuration.maximumDocumentBytes)
        if (300..<400).contains(result.status) {
            throw RemoteTrustError("GET \(url.absoluteString) answered \(result.status), a redirect; redirects are never followed (configure the issuer by its final URL)")
        }
        guard result.status == 200 else { throw RemoteTrustError("GET \(url.absoluteString) answered \(result.status)") }
        guard result.body.count <= configuration.maximumDocumentBytes else { throw RemoteTrustError("GET \(url.absoluteString): document too large") }
        let object: JSONObject
        do { object = try StrictJSONParser.parseObject(result.body) } catch {
            throw RemoteTrustError("GET \(url.absoluteString): not a JSON object (\(error))")
        }
        return (object, CacheControl.maxAge(result.headers["cache-control"]))
    }
}

/// Why the remote trust store could not be configured or refreshed.
public struct RemoteTrustError: Error, Sendable, CustomStringConvertible {
    /// One line.
    public let description: String
    /// An error.
    public init(_ description: String) { self.description = description }
}
