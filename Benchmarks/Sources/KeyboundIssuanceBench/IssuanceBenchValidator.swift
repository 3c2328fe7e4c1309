import Foundation
import Keybound
import KeyboundResourceKit
import KeyboundValidation
import ServiceLifecycle

/// The validator: `RemoteResourceTrust` over the provider, as `keybound mail serve` builds it, its
/// streams running, and the same verifier without the check for comparison.
struct IssuanceBenchValidator: Sendable {
    let trust: ResourceTrust
    let cache: VerifiedTokenCache
    let check: IssuanceFeedCheck
    let streams: Task<Void, Never>

    static func start(_ provider: IssuanceBenchProvider) async throws -> IssuanceBenchValidator {
        let cache = VerifiedTokenCache()
        let remote = RemoteTrustStore(configuration: try .init(issuers: [.init(url: provider.issuerURL)]), cache: cache)
        let trust = try RemoteResourceTrust.make(audience: IssuanceBenchProvider.audience, trust: remote, credentials: [
            provider.issuerURL: .clientSecretBasic(clientID: "bench-validator", secret: provider.validatorSecret),
        ])
        guard let check = trust.onlineChecks.lazy.compactMap({ $0 as? IssuanceFeedCheck }).first else { throw BenchError("no issuance check") }
        let services = trust.subscribers
        let streams = Task { await withDiscardingTaskGroup { group in for service in services { group.addTask { try? await service.run() } } } }
        let deadline = ContinuousClock.now + .seconds(30)
        while !(remote.isLoaded(provider.issuerURL) && check.feeds.isFresh(issuer: provider.issuerURL, staleness: 30)) {
            guard ContinuousClock.now < deadline else { throw BenchError("the validator never loaded the keys and the feed") }
            await remote.refreshAll()
            try await Task.sleep(for: .milliseconds(20))
        }
        return IssuanceBenchValidator(trust: trust, cache: cache, check: check, streams: streams)
    }

    /// Verifies as the resource's bearer middleware does: the cache, then the verifier and the check.
    func verify(_ token: String) async -> Result<KeyboundIdentity, TokenRejection> {
        await CachingTokenVerifier(cache: cache, verifier: trust.verifier).verify(token, onlineChecks: trust.onlineChecks)
    }

    /// Verifications per second of `tokens` with no cache, with the check or without it, on 2 tasks.
    func rate(_ tokens: [String], checked: Bool) async throws -> Double {
        let verifier = await trust.verifier()
        let checks: [any OnlineTokenCheck] = checked ? trust.onlineChecks : []
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<2 {
                group.addTask {
                    for token in tokens[(part * tokens.count / 2)..<((part + 1) * tokens.count / 2)] {
                        guard case .verified(let verified) = verifier.verify(token) else { throw BenchError("a token did not verify") }
                        for check in checks {
                            if case .reject = await check.check(verified, now: Date()) { throw BenchError("the check refused an issued token") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        return Double(tokens.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func stop() async {
        streams.cancel()
        await streams.value
    }
}
