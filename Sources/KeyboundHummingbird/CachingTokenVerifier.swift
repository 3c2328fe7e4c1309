import Foundation
import Keybound

/// A ``Keybound/TokenVerifier`` in front of which sits a ``VerifiedTokenCache``.
///
/// Each call obtains the current verifier from the provider, reads its clock once, and answers from
/// the cache when the token's entry exists, has not expired at that time and was stored under the
/// same audience and token type. Otherwise the verifier decides; only a successful verification is
/// stored. Rejections are never cached.
public struct CachingTokenVerifier: Sendable {
    /// The cache consulted and filled.
    public let cache: VerifiedTokenCache
    private let verifier: @Sendable () -> TokenVerifier

    /// A caching verifier over the verifier `provider` returns at each call (so trust can be swapped).
    public init(cache: VerifiedTokenCache, verifier provider: @escaping @Sendable () -> TokenVerifier) {
        self.cache = cache
        self.verifier = provider
    }

    /// A caching verifier over a fixed verifier.
    public init(cache: VerifiedTokenCache, verifier: TokenVerifier) {
        self.init(cache: cache, verifier: { verifier })
    }

    /// The identity of `token`, from the cache or from a full verification, or the verifier's rejection.
    public func verify(_ token: String) -> Result<KeyboundIdentity, TokenRejection> {
        // Read before the trust snapshot: an invalidation between the two makes the insert a no-op.
        let generation = cache.generation
        let verifier = self.verifier()
        // An oversized token is refused by the verifier before any work; do not hash it either.
        guard token.utf8.count <= verifier.policy.maximumTokenSize else { return Self.verify(token, with: verifier) }
        let key = VerifiedTokenCache.key(for: token)
        let policy = VerifiedTokenCache.PolicyTag(audience: ExactBytes(verifier.policy.audience),
                                                  tokenType: verifier.policy.tokenType.rawValue)
        let now = verifier.clock.now()
        if let cached = cache.lookup(key, policy: policy, now: now) { return .success(cached) }
        let result = Self.verify(token, with: verifier)
        if case .success(let identity) = result { cache.insert(identity, key: key, policy: policy, now: now, generation: generation) }
        return result
    }

    /// As ``verify(_:)``, then, for a token the cache did not hold, `onlineChecks` in order (see
    /// ``OnlineTokenCheck``): the token is cached only when it passed them too.
    public func verify(_ token: String, onlineChecks: [any OnlineTokenCheck]) async -> Result<KeyboundIdentity, TokenRejection> {
        guard !onlineChecks.isEmpty else { return verify(token) }
        let generation = cache.generation
        let verifier = self.verifier()
        guard token.utf8.count <= verifier.policy.maximumTokenSize else {
            return await Self.verify(token, with: verifier, onlineChecks: onlineChecks)
        }
        let key = VerifiedTokenCache.key(for: token)
        let policy = VerifiedTokenCache.PolicyTag(audience: ExactBytes(verifier.policy.audience),
                                                  tokenType: verifier.policy.tokenType.rawValue)
        let now = verifier.clock.now()
        if let cached = cache.lookup(key, policy: policy, now: now) { return .success(cached) }
        let result = await Self.verify(token, with: verifier, onlineChecks: onlineChecks)
        if case .success(let identity) = result { cache.insert(identity, key: key, policy: policy, now: now, generation: generation) }
        return result
    }

    /// A full verification and then `onlineChecks`, as an identity.
    static func verify(_ token: String, with verifier: TokenVerifier,
                       onlineChecks: [any OnlineTokenCheck]) async -> Result<KeyboundIdentity, TokenRejection> {
        let result = verify(token, with: verifier)
        guard case .success(let identity) = result, !onlineChecks.isEmpty else { return result }
        let now = verifier.clock.now()
        for check in onlineChecks {
            if let rejection = await check.check(identity.token, now: now) { return .failure(rejection) }
        }
        return result
    }

    /// A full verification, as an identity.
    static func verify(_ token: String, with verifier: TokenVerifier) -> Result<KeyboundIdentity, TokenRejection> {
        switch verifier.verify(token) {
        case .verified(let verified): .success(KeyboundIdentity(verified))
        case .rejected(let rejection): .failure(rejection)
        }
    }
}
