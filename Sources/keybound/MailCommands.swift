import ArgumentParser
import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundMail
import Logging
import ServiceLifecycle

/// `keybound mail ...`: Keybound Mail, the protected resource.
struct MailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Keybound Mail, a protected resource that validates Keybound tokens and audits every access.",
        discussion: "See docs/mail.md.", subcommands: [MailServeCommand.self])
}

/// `keybound mail serve --trust ISSUER_URL ...`: Keybound Mail on its own, against remote providers.
struct MailServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run Keybound Mail against remote Keybound providers.",
        discussion: """
            Trusts exactly the issuers named with --trust (at least one). Keys come from each issuer's \
            discovery document and JWKS; key revocations arrive at once over the issuer's key-event stream, \
            resumed after a disconnect. With server client credentials for an issuer (--credentials-file, \
            $KEYBOUND_MAIL_CREDENTIALS_FILE or $KEYBOUND_MAIL_CREDENTIALS; never on the command line), token \
            revocations arrive at once over its token-event stream too. Every access attempt is recorded in \
            audit.sqlite in the data directory. Stops gracefully on SIGTERM or SIGINT.
            """)

    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "An issuer URL to trust, exactly as in its tokens' iss; append #TENANT_ID to require that tid. Repeat for more.",
        valueName: "issuer-url[#tid]"))
    var trusted: [String] = []
    @Option(name: .customLong("data"), help: "Data directory for mail.sqlite and audit.sqlite (default: $KEYBOUND_DATA or ./keybound-mail-data).")
    var dataDirectory: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (default 8081).") var port = 8081
    @Option(name: .customLong("credentials-file"), help: ArgumentHelp(
        "A JSON file of server client credentials per trusted issuer (default: $KEYBOUND_MAIL_CREDENTIALS_FILE); see docs/mail.md.",
        valueName: "path"))
    var credentialsFile: String?
    @Option(name: .customLong("alert-webhook"), help: "POST every security alert as JSON to this http(s) URL (default: $KEYBOUND_ALERT_WEBHOOK).")
    var alertWebhook: String?

    func validate() throws {
        guard !trusted.isEmpty else { throw ValidationError("name at least one issuer with --trust; Keybound Mail trusts no issuer by default") }
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        _ = try remoteIssuers()
    }

    /// The `--trust` values as remote issuers.
    func remoteIssuers() throws -> [RemoteTrustStore.Issuer] {
        try trusted.map { value in
            let parts = value.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let tenant = parts.count == 2 ? parts[1] : nil
            if let tenant, tenant.isEmpty { throw ValidationError("--trust '\(value)': the tenant id after '#' is empty") }
            return RemoteTrustStore.Issuer(url: parts[0], tenantID: tenant)
        }
    }

    func run() async throws {
        var logger = Logger(label: "keybound.mail")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let directory = URL(fileURLWithPath: dataDirectory ?? ProcessInfo.processInfo.environment["KEYBOUND_DATA"] ?? "keybound-mail-data")
        let issuers = try remoteIssuers()
        let credentials = try MailCredentials.load(file: credentialsFile, environment: ProcessInfo.processInfo.environment,
                                                   trusted: issuers.map(\.url))
        let cache = VerifiedTokenCache()
        let revoked = RevokedTokens()
        let remote: RemoteTrustStore
        do { remote = RemoteTrustStore(configuration: try .init(issuers: issuers), cache: cache) } catch {
            throw CLIError(error.description)
        }
        let alerts = AlertCenter(logger: logger)
        if let webhook = try alertWebhookSender(alertWebhook, logger: logger) { alerts.setWebhook(webhook) }
        let policy = MailService.policy(additionalChecks: [RevokedTokenCheck(revoked)])
        let service: MailService
        do {
            service = MailService(store: try MailStore(directory: directory), audit: try AuditLog(directory: directory),
                                  configuration: try MailConfiguration(allowedIssuers: Set(issuers.map(\.url))), cache: cache,
                                  logger: logger, alerts: alerts, onRejection: { rejection in
                                      // A kid this store does not know may be a fresh key: refresh (rate-limited per issuer).
                                      guard rejection.code == .unknownKey, let issuer = rejection.tokenIssuer, let kid = rejection.keyID else { return }
                                      Task { _ = await remote.refreshForUnknownKey(issuer: issuer, keyID: kid) }
                                  }, verifier: { TokenVerifier(trust: remote.trustStore(), policy: policy) })
        } catch {
            throw CLIError("\(error)")
        }
        let eventLogger = logger
        let subscriber = KeyEventSubscriber(store: remote, credentials: credentials) { notice in
            eventLogger.info("key event", metadata: ["iss": "\(notice.issuer)", "kid": "\(notice.keyID)", "kind": "\(notice.kind)"])
        }
        var services: [any Service] = [subscriber]
        let followed = issuers.compactMap { issuer in credentials[issuer.url].map { TokenEventSubscriber.Issuer(url: issuer.url, credentials: $0) } }
        if !followed.isEmpty {
            services.append(TokenEventSubscriber(issuers: followed, revoked: revoked, cache: cache) { notice in
                eventLogger.info("token revoked", metadata: ["iss": "\(notice.issuer)", "jti": "\(notice.tokenID)", "reason": "\(notice.reason)"])
            })
        }
        say("Keybound Mail listening on http://\(host):\(port) (data: \(directory.path))")
        for issuer in issuers {
            say("  trusts \(issuer.url)\(issuer.tenantID.map { " (tid \($0))" } ?? "")")
            if let client = credentials[issuer.url] {
                say("    token revocations: followed as server client '\(client.clientID)'")
            } else {
                say("    token revocations: NOT followed (no server client credentials): a revoked token stays valid here until it expires")
            }
        }
        let app = service.application(host: host, port: port, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
