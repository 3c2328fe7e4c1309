import Foundation
import Hummingbird
import Keybound
import KeyboundApp
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundResourceKit
@_spi(Benchmarking) import KeyboundMail
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Serves Keybound Mail's `GET /users/{user}/messages` in four configurations on consecutive
/// ports, beside a development provider, for `Benchmarks/load/wrk-mail.sh`:
///
/// | Port | Configuration |
/// |---|---|
/// | base | the provider (development bootstrap) |
/// | base+1 | bearer validation with the verified-token cache and the issuance-ledger check, and auditing: what `keybound serve --with-mail` runs |
/// | base+2 | bearer validation with the ledger check on every request (no cache), and auditing |
/// | base+3 | bearer validation with a cache of its own and the ledger check, no auditing |
/// | base+4 | no authentication and no auditing: a fixed identity (the baseline) |
/// | base+5 | `GET /cache`: the caches' hit and miss counts |
/// | base+6 | the mail edge, as `keybound mail serve` builds it: remote trust over HTTP, the verified-token cache, the issuance check fed by contoso's issuance feed, and auditing |
/// | base+7 | the same edge with `--unsafe-skip-issuance-check` for contoso (its own cache) |
///
/// Before serving, it registers `--applications` applications at contoso (default 100) and has the
/// provider issue `--tokens` distinct access tokens (default 10,000) to them over HTTP, each in the
/// issuance ledger; it writes them, one a line, to `--token-file`, then prints `READY`.
@main
struct MailLoadServer {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
        let base = option("--base-port").flatMap { Int($0) } ?? 18_280
        let tokenCount = max(1, option("--tokens").flatMap { Int($0) } ?? 10_000)
        let applicationCount = max(1, option("--applications").flatMap { Int($0) } ?? 100)
        guard let tokenFile = option("--token-file") else { fatalError("usage: KeyboundMailLoad --token-file FILE [--base-port N] [--tokens N] [--applications N]") }
        var logger = Logger(label: "mail-load")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-mail-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        var configuration = ServerConfiguration(publicURL: "http://127.0.0.1:\(base)")
        configuration.port = base
        configuration.metricsEnabled = false
        // Long enough that no token expires during a run of several minutes.
        configuration.accessTokenLifetime = 3_600
        let context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
        let bootstrapped = try await DevelopmentBootstrap.run(context: context, now: Date())
        let contoso = try await manager.issuer(id: DevelopmentBootstrap.tenantIssuerID)
        let applications = try await MailLoadTokens.registerApplications(applicationCount, issuer: contoso, store: context.store, now: Date())
        // What ships: Keybound Mail as `keybound serve --with-mail` builds it (cache and ledger check).
        let audited = try await ProviderMail.service(context: context, directory: directory, logger: logger)
        guard let auditedCache = audited.cache else { fatalError("ProviderMail.service has no verified-token cache") }
        let keys = context.keys
        let issuerIDs = await Dictionary(try manager.issuers().map { (ExactString($0.url), $0.id) }, uniquingKeysWith: { first, _ in first })
        let shippedPolicy = MailService.policy()
        let ledgerCheck = IssuanceLedgerCheck(store: context.store, issuerIDs: { issuerIDs })
        let source: VersionedTrustVerifier.Source = {
            let current = try await keys.currentTrust()
            return (current.sequence, current.trust)
        }
        let uncachedTrust = VersionedTrustVerifier(policy: shippedPolicy, cache: nil, source: source)
        let uncached = MailService(store: audited.store, audit: audited.audit, configuration: audited.configuration, cache: nil,
                                   logger: logger, onlineChecks: [ledgerCheck], verifier: { await uncachedTrust.verifier() })
        // The unaudited configuration has a cache of its own, so each cache's hit rate is its own traffic's.
        let ownCache = VerifiedTokenCache()
        let cachedTrust = VersionedTrustVerifier(policy: shippedPolicy, cache: ownCache, source: source)
        let cachedOnly = MailService(store: audited.store, audit: audited.audit, configuration: audited.configuration, cache: ownCache,
                                     logger: logger, onlineChecks: [ledgerCheck], verifier: { await cachedTrust.verifier() })

        let provider = KeyboundApplication.make(context: context, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [provider], logger: logger))
        let running = Task { try await group.run() }
        let started = ContinuousClock.now
        let tokens = try await MailLoadTokens.issue(tokenCount, applications: applications, base: base, issuerID: contoso.id)
        let issuedIn = ContinuousClock.now - started
        let verifier = await TokenVerifier(trust: try keys.currentTrust().trust, policy: shippedPolicy)
        // Every token must pass the shipped policy, ledger check included, or the load measures refusals.
        for token in tokens {
            guard case .verified(let verified) = verifier.verify(token), case .accept = await ledgerCheck.check(verified, now: Date()) else {
                fatalError("an issued token does not verify with the ledger check")
            }
        }
        guard case .verified(let verified) = verifier.verify(tokens[0]) else { fatalError("the benchmark token does not verify") }
        guard Set(tokens).count == tokens.count else { fatalError("the provider issued a token twice") }
        try Data(tokens.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: tokenFile))
        let identity = KeyboundIdentity(verified)
        // The mail edges, trusting contoso over HTTP as a validator in another process does.
        guard let mailClient = bootstrapped.first(where: { $0.issuer.id == contoso.id }) else { fatalError("no contoso credentials") }
        let credentials = [contoso.url: StreamCredentials.clientSecretBasic(clientID: mailClient.mailServerClientID, secret: mailClient.mailServerSecret)]
        func edge(_ check: RemoteIssuanceCheck) async throws -> (RemoteMail, VerifiedTokenCache) {
            let cache = VerifiedTokenCache()
            let trust = RemoteTrustStore(configuration: try .init(issuers: [.init(url: contoso.url)]), cache: cache)
            let remote = try RemoteMail.make(store: audited.store, audit: audited.audit, trust: trust, credentials: credentials,
                                             issuanceCheck: check, logger: logger)
            await trust.refreshAll()
            guard trust.isLoaded(contoso.url) else { fatalError("the edge could not load contoso's keys: \(trust.lastError(contoso.url) ?? "?")") }
            return (remote, cache)
        }
        let (checkedEdge, checkedCache) = try await edge(RemoteIssuanceCheck())
        let (skippingEdge, skippingCache) = try await edge(RemoteIssuanceCheck(skipped: [contoso.url]))
        let edgeStreams = checkedEdge.subscribers + skippingEdge.subscribers
        let streams = Task { await withDiscardingTaskGroup { group in for stream in edgeStreams { group.addTask { try? await stream.run() } } } }
        defer { streams.cancel() }
        // Every token must be in the checked edge's feed before measuring: the backlog is all of them.
        guard let feed = checkedEdge.subscribers.lazy.compactMap({ $0 as? TokenEventSubscriber }).first?.issuance else {
            fatalError("the checked edge follows no issuance feed")
        }
        let feedDeadline = ContinuousClock.now + .seconds(60)
        while feed.issued.count < tokens.count && ContinuousClock.now < feedDeadline { try await Task.sleep(for: .milliseconds(50)) }
        guard feed.issued.count >= tokens.count else { fatalError("the edge's feed holds \(feed.issued.count) of \(tokens.count) tokens") }
        let report = MailLoadCacheReport(caches: [("cached+audit", auditedCache), ("cached", ownCache),
                                                  ("edge", checkedCache), ("edge-skip", skippingCache)])
        let routers = [
            audited.router(),
            uncached.router(),
            cachedOnly.benchmarkRouter(fixedIdentity: nil, auditing: false),
            audited.benchmarkRouter(fixedIdentity: identity, auditing: false),
        ]
        var mailApps: [any Service] = routers.enumerated().map { index, router in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: base + 1 + index)), logger: logger)
        }
        mailApps.append(Application(router: report.router(), configuration: .init(address: .hostname("127.0.0.1", port: base + 5)), logger: logger))
        mailApps.append(checkedEdge.application(host: "127.0.0.1", port: base + 6, logger: logger))
        mailApps.append(skippingEdge.application(host: "127.0.0.1", port: base + 7, logger: logger))
        let mailGroup = ServiceGroup(configuration: .init(services: mailApps, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardOutput.write(Data("""
            TOKENS \(tokens.count) distinct, \(applicationCount) applications, issued over HTTP in \(issuedIn), each verified with the ledger check
            READY

            """.utf8))
        try await mailGroup.run()
        running.cancel()
        print("records audited: \(try await audited.audit.lastSequence())")
        print(report.text, terminator: "")
    }
}
