import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
@_spi(Benchmarking) import KeyboundMail
import KeyboundServer
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
/// | base+1 | bearer validation with the verified-token cache, and auditing: what `keybound serve --with-mail` runs |
/// | base+2 | bearer validation on every request (no cache), and auditing |
/// | base+3 | bearer validation with the cache, no auditing |
/// | base+4 | no authentication and no auditing: a fixed identity (the baseline) |
///
/// Prints `TOKEN <access token>` and `READY` on stdout once everything listens.
@main
struct MailLoadServer {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let base = arguments.firstIndex(of: "--base-port").flatMap { Int(arguments[$0 + 1]) } ?? 18_280
        var logger = Logger(label: "mail-load")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-mail-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        let manager = try KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        var configuration = ServerConfiguration(publicURL: "http://127.0.0.1:\(base)")
        configuration.port = base
        configuration.metricsEnabled = false
        let context = ProviderContext(manager: manager, store: try ProviderStore(directory: directory), configuration: configuration)
        let credentials = try DevelopmentBootstrap.run(context: context, now: Date())
        guard let contoso = credentials.first(where: { $0.issuer.id == DevelopmentBootstrap.tenantIssuerID }) else {
            fatalError("the development bootstrap created no contoso issuer")
        }
        let audited = try ProviderMail.service(context: context, directory: directory, logger: logger)
        let keys = context.keys
        let uncachedTrust = VersionedTrustVerifier(policy: MailService.policy(), cache: nil) {
            let current = try keys.currentTrust()
            return (current.sequence, current.trust)
        }
        let uncached = MailService(store: audited.store, audit: audited.audit, configuration: audited.configuration, cache: nil,
                                   logger: logger, verifier: { uncachedTrust.verifier() })

        let provider = KeyboundApplication.make(context: context, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [provider], logger: logger))
        let running = Task { try await group.run() }
        let token = try await fetchToken(base: base, clientID: contoso.confidentialClientID, secret: contoso.clientSecret)
        guard case .verified(let verified) = TokenVerifier(trust: try keys.currentTrust().trust, policy: MailService.policy()).verify(token) else {
            fatalError("the benchmark token does not verify")
        }
        let identity = KeyboundIdentity(verified)
        let routers = [
            audited.router(),
            uncached.router(),
            audited.benchmarkRouter(fixedIdentity: nil, auditing: false),
            audited.benchmarkRouter(fixedIdentity: identity, auditing: false),
        ]
        let mailApps: [any Service] = routers.enumerated().map { index, router in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: base + 1 + index)), logger: logger)
        }
        let mailGroup = ServiceGroup(configuration: .init(services: mailApps, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardOutput.write(Data("TOKEN \(token)\nREADY\n".utf8))
        try await mailGroup.run()
        running.cancel()
        print("records audited: \(try audited.audit.lastSequence())")
    }

    /// A client-credentials token of the contoso daemon for Keybound Mail, over HTTP.
    static func fetchToken(base: Int, clientID: String, secret: String) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(base)/contoso/token")!)
        request.httpMethod = "POST"
        request.setValue("Basic " + Data("\(clientID):\(secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default".utf8)
        for _ in 0..<100 {
            if let (data, _) = try? await URLSession.shared.data(for: request),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let token = object["access_token"] as? String {
                return token
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        fatalError("no token from the provider on port \(base)")
    }
}
