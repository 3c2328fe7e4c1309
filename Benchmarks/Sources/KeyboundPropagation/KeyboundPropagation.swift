import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization

/// How fast a revocation reaches connected validators: a provider in this process, N validators
/// connected over loopback HTTP, M revocations one after the other; per (revocation, validator)
/// the time from the return of the revoking call to the validator having applied it.
///
/// - keys: each validator a `RemoteTrustStore` with a `KeyEventSubscriber` (`/<issuer>/key-events`),
///   each revocation `KeyManager.revoke` of the active key;
/// - tokens: each validator a `TokenEventSubscriber` (`/<issuer>/token-events`, as a server
///   client) with its cache and revocation list; see ``TokenPropagation``.
///
/// - keys across nodes (``NodePropagation``): revoked on node A's admin API, followed on node B.
///
/// `swift run -c release KeyboundPropagation [--kind keys|tokens|both] [--subscribers N] [--revocations M] [--json FILE]`; see README.md.
@main
struct KeyboundPropagation {
    static func main() async throws {
        let options = PropagationOptions.parse(Array(CommandLine.arguments.dropFirst()))
        #if DEBUG
        print("warning: debug build; use `swift run -c release` for meaningful numbers")
        #endif
        if let nodes = try NodePropagation.Nodes.from(options, environment: ProcessInfo.processInfo.environment) {
            try report([try await NodePropagation.measure(nodes, options)], options)
            return
        }
        let provider = try await PropagationProvider.start()
        var reports: [PropagationReport] = []
        do {
            if options.kind != .tokens { reports.append(try await measure(provider, options)) }
            if options.kind != .keys { reports.append(try await TokenPropagation.measure(provider, options)) }
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
        try report(reports, options)
    }

    static func report(_ reports: [PropagationReport], _ options: PropagationOptions) throws {
        for report in reports { print(report.table() + "\n") }
        let json = "[" + reports.map { $0.json() }.joined(separator: ",") + "]"
        print(json)
        if let path = options.jsonPath {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            print("wrote \(path)")
        }
    }

    static func measure(_ provider: PropagationProvider, _ options: PropagationOptions) async throws -> PropagationReport {
        let issuer = provider.issuerURL
        let policy = try VerificationPolicy(audience: "api://bench")
        let validators = try (0..<options.subscribers).map { _ in try Validator(issuer: issuer) }
        let tasks = validators.map { validator in Task { await validator.subscriber.run() } }
        defer { for task in tasks { task.cancel() } }
        print("connecting \(options.subscribers) subscribers to \(issuer)/key-events…")
        let ready = ContinuousClock.now + .seconds(30)
        while !validators.allSatisfy({ $0.subscriber.isConnected && $0.store.isLoaded(issuer) }) {
            guard ContinuousClock.now < ready else {
                throw PropagationError("subscribers not connected after 30 s: \(validators.compactMap { $0.subscriber.lastError(of: issuer) })")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        print("revoking \(options.revocations) keys one after the other…")
        var samples: [Double] = []
        var missed = 0
        var verdicts: [String: Int] = [:]
        var callDurations: [Double] = []
        for round in 0..<options.revocations {
            // A random pause, so that revocations do not fall in step with the provider's poll.
            try await Task.sleep(for: options.maximumPause * Double.random(in: 0..<1))
            let (keyID, token) = try await provider.activeKeyToken()
            // Revoke a key every validator knows (as a key in use would be): a key revoked before a
            // validator fetched it is rejected too, but as unknown_key.
            let known = ContinuousClock.now + options.timeout
            while ContinuousClock.now < known, !validators.allSatisfy({ $0.store.trustStore().issuer(issuer)?.key(withID: keyID) != nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            let calling = ContinuousClock.now
            try await provider.manager.revoke(issuerID: PropagationProvider.issuerID, keyID: keyID, reason: "propagation benchmark",
                                        actor: "benchmark", now: Date())
            let revoked = ContinuousClock.now
            callDurations.append(milliseconds(revoked - calling))
            let deadline = revoked + options.timeout
            while ContinuousClock.now < deadline, !validators.allSatisfy({ $0.applied(keyID) != nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            for validator in validators {
                guard let applied = validator.applied(keyID) else {
                    missed += 1
                    continue
                }
                samples.append(milliseconds(applied - revoked))
                let verdict = TokenVerifier(trust: validator.store.trustStore(), policy: policy).verify(token)
                verdicts[verdict.rejection?.code.rawValue ?? "verified", default: 0] += 1
            }
            if (round + 1) % 50 == 0 { print("  \(round + 1) revocations") }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        return PropagationReport(kind: "keys", expectedVerdict: "key_revoked", subscribers: options.subscribers,
                                 revocations: options.revocations, samples: samples, missed: missed, revokeCalls: callDurations,
                                 verdicts: verdicts)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }
}

/// One validator: its own trust store and subscriber, and when each revocation reached it.
final class Validator: Sendable {
    let store: RemoteTrustStore
    let subscriber: KeyEventSubscriber
    private let log: RevocationLog

    init(issuer: String) throws {
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: issuer)]), cache: VerifiedTokenCache())
        let log = RevocationLog()
        self.store = store
        self.log = log
        self.subscriber = KeyEventSubscriber(store: store) { notice in
            if notice.action == .revoked { log.record(notice.keyID) }
        }
    }

    /// When the revocation of `keyID` was applied here, if it was.
    func applied(_ keyID: String) -> ContinuousClock.Instant? { log.applied(keyID) }
}

/// When each revocation was applied (the subscriber's `onEvent`, right after the store revoked the key).
final class RevocationLog: Sendable {
    private let instants = Mutex<[String: ContinuousClock.Instant]>([:])

    func record(_ keyID: String) {
        let now = ContinuousClock.now
        instants.withLock { $0[keyID] = now }
    }

    func applied(_ keyID: String) -> ContinuousClock.Instant? { instants.withLock { $0[keyID] } }
}
