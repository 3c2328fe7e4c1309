import Keybound
import KeyboundValidation
import ServiceLifecycle

/// How a protected resource verifies its tokens: the verifier of the moment, the checks that may
/// wait, the verified-token cache, and the services that keep trust current.
///
/// Build one per resource, for that resource's policy (its audience). The cache must be one that
/// whoever revokes keys and tokens evicts from (its entries carry the audience they were verified
/// for, so resources may share one). `ProviderResourceTrust` (in `KeyboundApp`) builds it inside
/// the provider's process, ``RemoteResourceTrust`` in another process.
public struct ResourceTrust: Sendable {
    /// Verified tokens reused until their `exp` (at most 60 s); whoever revokes must evict from it.
    public let cache: VerifiedTokenCache?
    /// The verifier for this moment (trust may change while the resource runs).
    public let verifier: @Sendable () async -> TokenVerifier
    /// Checks that may wait, run after the verifier on tokens the cache did not hold.
    public let onlineChecks: [any OnlineTokenCheck]
    /// Called for every refused token after its audit record is written.
    public let onRejection: @Sendable (TokenRejection) -> Void
    /// Services that keep trust current (event streams): run them beside the resource.
    public let subscribers: [any Service]

    /// Trust made of these parts.
    public init(cache: VerifiedTokenCache?, onlineChecks: [any OnlineTokenCheck] = [], subscribers: [any Service] = [],
                onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in },
                verifier: @escaping @Sendable () async -> TokenVerifier) {
        self.cache = cache
        self.verifier = verifier
        self.onlineChecks = onlineChecks
        self.onRejection = onRejection
        self.subscribers = subscribers
    }
}
