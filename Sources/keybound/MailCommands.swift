import ArgumentParser
import Foundation
import Hummingbird
import Keybound
import KeyboundApp
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
import KeyboundResourceKit
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
            revocations arrive at once over its token-event stream too. Each issuer's tenant (tenant_id, \
            tenant_kind) and maximum token lifetime come from its discovery document: it refuses to start when \
            a document lacks them or disagrees with a tenant id given as URL#TID. For every issuer whose \
            discovery advertises issuance_feed_endpoint, a token its provider never issued is refused \
            (token_not_issued): the token-event stream carries the issuance feed, so such an issuer needs \
            credentials, or its tokens are refused (ledger_unavailable). Only --unsafe-skip-issuance-check \
            ISSUER turns the check off for one issuer; /health shows it, and --production refuses it. Every \
            access attempt is recorded in audit.sqlite in the data directory. Stops gracefully on SIGTERM or SIGINT.
            """)

    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "An issuer URL to trust, exactly as in its tokens' iss; append #TENANT_ID to pin the tid its discovery document must publish. Repeat for more.",
        valueName: "issuer-url[#tid]"))
    var trusted: [String] = []
    @Option(name: .customLong("data"), help: "Data directory for mail.sqlite and audit.sqlite (default: $KEYBOUND_DATA or ./keybound-mail-data).")
    var dataDirectory: String?
    @Option(name: .customLong("database"), help: "Where mail and the audit log live: sqlite:DIR (default: $KEYBOUND_DATABASE, else as --data).")
    var database: String?
    @Option(name: .customLong("jwks-origin"), help: ArgumentHelp(
        "ISSUER_URL=ORIGIN: that issuer's jwks_uri may be on ORIGIN (scheme://host[:port]) instead of the issuer's own origin. Repeatable.",
        valueName: "issuer-url=origin"))
    var jwksOrigins: [String] = []
    @Flag(name: .customLong("allow-insecure-http"), help: "Development only: trust plain-http issuers on hosts other than loopback.")
    var allowInsecureHTTP = false
    @Option(name: .customLong("unsafe-skip-issuance-check"), help: ArgumentHelp(
        "Serve tokens of this issuer without checking that its provider issued them: a forgery made with its stolen key is served. Shown in /health; refused with --production. Repeatable.",
        valueName: "issuer-url"))
    var skippedIssuanceChecks: [String] = []
    @Option(name: .customLong("issuance-entries"), help: "The most issuance-feed entries held in memory (default 1000000); beyond it, tokens not held go to the status endpoint.")
    var issuanceEntries = 1_000_000
    @Option(name: .customLong("issuance-race-window-ms"), help: "How long a token not yet in its issuer's feed waits for its entry before the status call, in milliseconds (default 250).")
    var issuanceRaceWindow = 250
    @Option(name: .customLong("issuance-feed-staleness"), help: "Seconds an issuer's feed may be silent before every token of that issuer is refused (default 30; keep it above twice the provider's keep-alive interval, 15 s by default).")
    var issuanceFeedStaleness = 30
    @Option(name: .customLong("issuance-status-calls"), help: "Status calls in flight at once, per issuer (default 16); beyond it, a token is refused ledger_unavailable.")
    var issuanceStatusCalls = 16
    @Option(name: .customLong("issuance-waiting"), help: "Requests that may wait for a feed entry or a status call at once, per issuer (default 1000); beyond it, ledger_unavailable.")
    var issuanceWaiting = 1_000
    @Flag(name: .customLong("production"), help: "Production mode: refuse --allow-insecure-http and --unsafe-skip-issuance-check.")
    var production = false
    @Option(name: .customLong("startup-wait"), help: "Seconds to wait for every trusted issuer's discovery document and keys before refusing to start (default 30).")
    var startupWait = 30
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
        guard (0...3_600).contains(startupWait) else { throw ValidationError("--startup-wait must be between 0 and 3600 seconds") }
        guard (1...100_000_000).contains(issuanceEntries) else { throw ValidationError("--issuance-entries must be between 1 and 100000000") }
        guard (0...5_000).contains(issuanceRaceWindow) else { throw ValidationError("--issuance-race-window-ms must be between 0 and 5000") }
        guard (1...3_600).contains(issuanceFeedStaleness) else { throw ValidationError("--issuance-feed-staleness must be between 1 and 3600 seconds") }
        guard (1...1_024).contains(issuanceStatusCalls) else { throw ValidationError("--issuance-status-calls must be between 1 and 1024") }
        guard (1...100_000).contains(issuanceWaiting) else { throw ValidationError("--issuance-waiting must be between 1 and 100000") }
        if production {
            if allowInsecureHTTP { throw ValidationError("--production refuses --allow-insecure-http") }
            if !skippedIssuanceChecks.isEmpty { throw ValidationError("--production refuses --unsafe-skip-issuance-check") }
        }
        for issuer in skippedIssuanceChecks where !trusted.contains(where: { $0.split(separator: "#", maxSplits: 1).first.map(String.init)?.isExactly(issuer) == true }) {
            throw ValidationError("--unsafe-skip-issuance-check names '\(issuer)', which no --trust names")
        }
        do { _ = try RemoteTrustStore.Configuration(issuers: try remoteIssuers(), allowingInsecureHTTP: allowInsecureHTTP) } catch let error as RemoteTrustError {
            throw ValidationError(error.description)
        }
    }

    /// The `--trust` values as remote issuers, with their `--jwks-origin`s.
    func remoteIssuers() throws -> [RemoteTrustStore.Issuer] {
        var origins: [ExactString: String] = [:]
        for value in jwksOrigins {
            guard let separator = value.lastIndex(of: "="), separator != value.startIndex, separator != value.index(before: value.endIndex) else {
                throw ValidationError("--jwks-origin takes ISSUER_URL=ORIGIN, got '\(value)'")
            }
            origins[ExactString(String(value[..<separator]))] = String(value[value.index(after: separator)...])
        }
        let issuers = try trusted.map { value in
            let parts = value.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let tenant = parts.count == 2 ? parts[1] : nil
            if let tenant, tenant.isEmpty { throw ValidationError("--trust '\(value)': the tenant id after '#' is empty") }
            return RemoteTrustStore.Issuer(url: parts[0], tenantID: tenant, jwksOrigin: origins[ExactString(parts[0])])
        }
        for issuer in origins.keys where !issuers.contains(where: { $0.url.isExactly(issuer.value) }) {
            throw ValidationError("--jwks-origin names '\(issuer.value)', which no --trust names")
        }
        return issuers
    }

    func run() async throws {
        var logger = Logger(label: "keybound.mail")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let directory = try KeyboundCLI.sqliteDirectory(database: database, data: dataDirectory, defaultDirectory: "keybound-mail-data")
        let issuers = try remoteIssuers()
        let credentials = try MailCredentials.load(file: credentialsFile, environment: ProcessInfo.processInfo.environment,
                                                   trusted: issuers.map(\.url))
        let cache = VerifiedTokenCache()
        let remote: RemoteTrustStore
        do { remote = RemoteTrustStore(configuration: try .init(issuers: issuers, allowingInsecureHTTP: allowInsecureHTTP), cache: cache) } catch {
            throw CLIError(error.description)
        }
        // Each issuer's tenancy comes from its discovery document: without it, nothing is served.
        // A provider that is still starting gets --startup-wait seconds.
        let deadline = ContinuousClock.now + .seconds(startupWait)
        await remote.refreshAll()
        while issuers.contains(where: { !remote.isLoaded($0.url) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            await remote.refreshAll()
        }
        for issuer in issuers where !remote.isLoaded(issuer.url) {
            throw CLIError("cannot trust '\(issuer.url)': \(remote.lastError(issuer.url) ?? "its keys did not load")")
        }
        let alerts = AlertCenter(logger: logger)
        if let webhook = try alertWebhookSender(alertWebhook, logger: logger) { alerts.setWebhook(webhook) }
        let eventLogger = logger
        var limits = IssuanceFeedCheck.Limits()
        limits.raceWindow = .milliseconds(issuanceRaceWindow)
        limits.feedStaleness = TimeInterval(issuanceFeedStaleness)
        limits.maximumStatusCalls = issuanceStatusCalls
        limits.maximumWaiting = issuanceWaiting
        let issuanceCheck = RemoteIssuanceCheck(skipped: skippedIssuanceChecks, limits: limits, maximumEntries: issuanceEntries)
        let mail: RemoteMail
        do {
            mail = try RemoteMail.make(
                store: try MailStore(directory: directory), audit: try AuditLog(directory: directory), trust: remote,
                credentials: credentials, issuanceCheck: issuanceCheck, logger: logger, alerts: alerts,
                onKeyEvent: { notice in
                    eventLogger.info("key event", metadata: ["iss": "\(notice.issuer)", "kid": "\(notice.keyID)", "kind": "\(notice.kind)"])
                },
                onTokenRevoked: { notice in
                    eventLogger.info("token revoked", metadata: ["iss": "\(notice.issuer)", "jti": "\(notice.tokenID)", "reason": "\(notice.reason)"])
                })
        } catch {
            throw CLIError("\(error)")
        }
        say("Keybound Mail listening on http://\(host):\(port) (data: \(directory.path))")
        for issuer in issuers {
            let tenancy = remote.tenancy(issuer.url)
            say("  trusts \(issuer.url)\(tenancy?.fixedTenantID.map { " (\(tenancy == .consumer($0) ? "consumer realm" : "tenant") \($0))" } ?? "")")
            if let client = credentials[issuer.url] {
                say("    token revocations: followed as server client '\(client.clientID)'")
            } else {
                say("    token revocations: NOT followed (no server client credentials): a revoked token stays valid here until it expires")
            }
            switch issuanceCheck.state(of: issuer.url, in: remote) {
            case .on where credentials[issuer.url] == nil:
                say("    issuance check: ON, but without credentials its feed cannot be followed: every token is refused (ledger_unavailable)")
            case .on: say("    issuance check: on (tokens never issued are refused)")
            case .skipped: say("    issuance check: SKIPPED (--unsafe-skip-issuance-check): a forgery made with this issuer's own key is served")
            case .notAdvertised: say("    issuance check: not advertised by this issuer's discovery document")
            }
        }
        // The listener opens once every checked issuer's feed is heard (or --startup-wait passed):
        // until then that issuer's tokens would all be refused.
        let app = GatedService(mail.application(host: host, port: port, logger: logger)) { [startupWait] in
            for issuer in await mail.waitForIssuanceFeeds(timeout: .seconds(startupWait)) {
                say("  issuance feed of \(issuer) not caught up within --startup-wait: its tokens may be refused (ledger_unavailable) until it is")
            }
        }
        let group = ServiceGroup(configuration: .init(services: [app] + mail.subscribers, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
