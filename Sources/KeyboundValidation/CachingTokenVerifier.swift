import Crypto
import Foundation
import Keybound

/// A `TokenVerifier` in front of which sits a ``VerifiedTokenCache``.
///
/// Each call obtains the current verifier from the provider, reads its clock once, and answers from
/// the cache when the token's entry exists, has not expired at that time and was stored under the
/// same audience and token type. Otherwise the verifier decides; only a successful verification is
/// stored. Rejections are never cached.
public struct CachingTokenVerifier: Sendable {
    /// The cache consulted and filled.
    public let cache: VerifiedTokenCache
    private let verifier: @Sendable () async -> TokenVerifier

    /// A caching verifier over the verifier `provider` returns at each call (so trust can be swapped;
    /// the provider may read a store, so it is awaited).
    public init(cache: VerifiedTokenCache, verifier provider: @escaping @Sendable () async -> TokenVerifier) {
        self.cache = cache
        self.verifier = provider
    }

    /// A caching verifier over a fixed verifier.
    public init(cache: VerifiedTokenCache, verifier: TokenVerifier) {
        self.init(cache: cache, verifier: { verifier })
    }

    /// The identity of `token`, from the cache or from a full verification, or the verifier's rejection.
    public func verify(_ token: String) async -> Result<KeyboundIdentity, TokenRejection> {
        let attempt = await begin(token)
        if let cached = attempt.cached { return .success(cached) }
        return attempt.finish(Self.verify(token, with: attempt.verifier), in: cache)
    }

    /// As ``verify(_:)``, then, for a token the cache did not hold, `onlineChecks` in order (see
    /// ``OnlineTokenCheck``): the token is cached only when it passed them too.
    public func verify(_ token: String, onlineChecks: [any OnlineTokenCheck]) async -> Result<KeyboundIdentity, TokenRejection> {
        let attempt = await begin(token)
        if let cached = attempt.cached { return .success(cached) }
        return attempt.finish(await Self.verify(token, with: attempt.verifier, onlineChecks: onlineChecks), in: cache)
    }

    /// One verification's use of the cache: the verifier it runs with, the cached identity when
    /// the cache held the token, and where a success is stored.
    private struct Attempt {
        /// Where a result is stored: absent for a token too large to hash.
        struct Slot {
            let key: SHA256Digest
            let policy: VerifiedTokenCache.PolicyTag
            let now: Date
            let generation: UInt64
        }

        let verifier: TokenVerifier
        let cached: KeyboundIdentity?
        let slot: Slot?

        /// Stores a success (a no-op if the cache was invalidated since ``begin(_:)``) and returns `result`.
        func finish(_ result: Result<KeyboundIdentity, TokenRejection>, in cache: VerifiedTokenCache) -> Result<KeyboundIdentity, TokenRejection> {
            if case .success(let identity) = result, let slot {
                cache.insert(identity, key: slot.key, policy: slot.policy, now: slot.now, generation: slot.generation)
            }
            return result
        }
    }

    private func begin(_ token: String) async -> Attempt {
        // Read before the trust snapshot: an invalidation between the two makes the insert a no-op.
        let generation = cache.generation
        let verifier = await self.verifier()
        // An oversized token is refused by the verifier before any work; do not hash it either.
        guard token.utf8.count <= verifier.policy.maximumTokenSize else { return Attempt(verifier: verifier, cached: nil, slot: nil) }
        let key = VerifiedTokenCache.key(for: token)
        let policy = VerifiedTokenCache.PolicyTag(audience: ExactBytes(verifier.policy.audience),
                                                  tokenType: verifier.policy.tokenType.rawValue)
        let now = verifier.clock.now()
        return Attempt(verifier: verifier, cached: cache.lookup(key, policy: policy, now: now),
                       slot: Attempt.Slot(key: key, policy: policy, now: now, generation: generation))
    }

    /// A full verification and then `onlineChecks`, as an identity.
    package static func verify(_ token: String, with verifier: TokenVerifier,
                       onlineChecks: [any OnlineTokenCheck]) async -> Result<KeyboundIdentity, TokenRejection> {
        let result = verify(token, with: verifier)
        guard case .success(let identity) = result, !onlineChecks.isEmpty else { return result }
        let now = verifier.clock.now()
        for check in onlineChecks {
            if case .reject(let rejection) = await check.check(identity.token, now: now) { return .failure(rejection) }
        }
        return result
    }

    /// A full verification, as an identity.
    package static func verify(_ token: String, with verifier: TokenVerifier) -> Result<KeyboundIdentity, TokenRejection> {
        switch verifier.verify(token) {
        case .verified(let verified): .success(KeyboundIdentity(verified))
        case .rejected(let rejection): .failure(rejection)
        }
    }
}
