import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore
import Synchronization

/// Token revocations to N validators through `/<issuer>/token-events`: each validator is a
/// `TokenEventSubscriber` (authenticated as the issuer's server client) with its own
/// `RevokedTokens` and `VerifiedTokenCache`, holding the token in its cache before it is revoked.
/// A sample is the time from the return of `ProviderStore.revokeToken` (the commit) to one
/// validator's `onEvent`, after which its verdict on the token is read (expected `token_revoked`)
/// and its cache must no longer hold it.
enum TokenPropagation {
    static func measure(_ provider: PropagationProvider, _ options: PropagationOptions) async throws -> PropagationReport {
        let issuer = provider.issuerURL
        let credentials = StreamCredentials.clientSecretBasic(clientID: PropagationProvider.serverClientID, secret: provider.serverClientSecret)
        let validators = (0..<options.subscribers).map { _ in TokenValidator(issuer: issuer, credentials: credentials) }
        let tasks = validators.map { validator in Task { await validator.subscriber.run() } }
        defer { for task in tasks { task.cancel() } }
        print("connecting \(options.subscribers) token-event subscribers to \(issuer)/token-events…")
        let ready = ContinuousClock.now + .seconds(30)
        while !validators.allSatisfy({ $0.subscriber.isConnected }) {
            guard ContinuousClock.now < ready else {
                throw PropagationError("token-event subscribers not connected after 30 s: \(validators.compactMap { $0.subscriber.lastError(of: issuer) })")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        print("revoking \(options.revocations) tokens one after the other…")
        var samples: [Double] = []
        var missed = 0
        var verdicts: [String: Int] = [:]
        var callDurations: [Double] = []
        for round in 0..<options.revocations {
            try await Task.sleep(for: options.maximumPause * Double.random(in: 0..<1))
            let (tokenID, token) = try await provider.ledgerToken()
            // The provider's keys as of this token: the rotation engine may have replaced the
            // emergency keys the key phase left behind since the last round.
            let trust = try await provider.manager.trustStore()
            // Every validator verified (and cached) the token before it is revoked.
            for validator in validators {
                guard case .success = await validator.verifier(trust).verify(token) else { throw PropagationError("a fresh token was refused") }
            }
            let calling = ContinuousClock.now
            try await provider.context.store.revokeToken(issuerID: PropagationProvider.issuerID, tokenID: tokenID, reason: "propagation benchmark", kind: .administrative, now: Date())
            let revoked = ContinuousClock.now
            callDurations.append(KeyboundPropagation.milliseconds(revoked - calling))
            let deadline = revoked + options.timeout
            while ContinuousClock.now < deadline, !validators.allSatisfy({ $0.applied(tokenID) != nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            for validator in validators {
                guard let applied = validator.applied(tokenID) else {
                    missed += 1
                    continue
                }
                samples.append(KeyboundPropagation.milliseconds(applied - revoked))
                var verdict: String
                switch await validator.verifier(trust).verify(token) {
                case .success: verdict = "verified"
                case .failure(let rejection): verdict = rejection.code.rawValue
                }
                if validator.cache.identity(for: token, now: Date()) != nil { verdict += " (still cached)" }
                verdicts[verdict, default: 0] += 1
            }
            if (round + 1) % 50 == 0 { print("  \(round + 1) revocations") }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        return PropagationReport(kind: "tokens", expectedVerdict: "token_revoked", subscribers: options.subscribers,
                                 revocations: options.revocations, samples: samples, missed: missed, revokeCalls: callDurations,
                                 verdicts: verdicts)
    }
}

/// One remote validator of token revocations: its subscriber, revocation list and cache.
final class TokenValidator: Sendable {
    let subscriber: TokenEventSubscriber
    let revoked = RevokedTokens()
    let cache = VerifiedTokenCache()
    private let log = RevocationLog()

    init(issuer: String, credentials: StreamCredentials) {
        let log = self.log
        subscriber = TokenEventSubscriber(issuers: [.init(url: issuer, credentials: credentials)], revoked: revoked, cache: cache) { notice in
            log.record(notice.tokenID)
        }
    }

    /// The validator's verifier: `trust` (the provider's keys), the revocation list, the cache.
    func verifier(_ trust: TrustStore) -> CachingTokenVerifier {
        // The audience is a constant: this cannot throw.
        let policy = try! VerificationPolicy(audience: PropagationProvider.audience, additionalChecks: [RevokedTokenCheck(revoked)])
        return CachingTokenVerifier(cache: cache, verifier: TokenVerifier(trust: trust, policy: policy))
    }

    /// When the revocation of `tokenID` was applied here, if it was.
    func applied(_ tokenID: String) -> ContinuousClock.Instant? { log.applied(tokenID) }
}
