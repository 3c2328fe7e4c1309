import Keybound
import Synchronization

/// A verifier provider over a trust source that reports a version with its trust store (for
/// example the provider's key-event sequence): the `TokenVerifier` is rebuilt only when
/// the version changes, and at that moment the ``VerifiedTokenCache`` is emptied, so no token
/// verified under the old trust (a key since revoked or retired) is answered from the cache.
///
/// If the source fails, the last good verifier keeps serving; before any success, a verifier with
/// an empty trust store rejects everything (`untrusted_issuer`): it fails closed.
public final class VersionedTrustVerifier: Sendable {
    /// Returns the current trust and its version; throws when the source cannot be read.
    public typealias Source = @Sendable () async throws -> (version: Int64, trust: TrustStore)

    private let source: Source
    private let policy: VerificationPolicy
    private let cache: VerifiedTokenCache?
    private let clock: VerificationClock
    private let current: Mutex<(version: Int64?, verifier: TokenVerifier)>

    /// A provider of verifiers with `policy` over `source`'s trust, emptying `cache` on every change.
    public init(policy: VerificationPolicy, cache: VerifiedTokenCache?, clock: VerificationClock = .system, source: @escaping Source) {
        self.source = source
        self.policy = policy
        self.cache = cache
        self.clock = clock
        self.current = Mutex((nil, TokenVerifier(trust: TrustStore(), policy: policy, clock: clock)))
    }

    /// The verifier for the current trust.
    public func verifier() async -> TokenVerifier {
        guard let (version, trust) = try? await source() else { return current.withLock { $0.verifier } }
        return current.withLock { current in
            // Only newer trust replaces the current one: a slow read of older trust that finishes
            // after a newer one was installed (a key revoked since) never puts the old trust back.
            if let installed = current.version, version <= installed { return current.verifier }
            cache?.removeAll()
            current = (version, TokenVerifier(trust: trust, policy: policy, clock: clock))
            return current.verifier
        }
    }
}
