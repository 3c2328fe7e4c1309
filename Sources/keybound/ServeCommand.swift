import ArgumentParser
import Foundation
import Hummingbird
import Keybound
@_spi(Plumbing) import KeyboundApp
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import KeyboundHummingbird
import KeyboundIncident
import KeyboundValidation
import KeyboundMail
import KeyboundFiles
import KeyboundResourceKit
import Logging
import ServiceLifecycle

/// `keybound serve`: the identity provider, on the embedded SQLite store or on PostgreSQL.
/// Writes a line to stdout at once (no buffering), so it appears before the server's log lines.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Keybound server: per-issuer discovery and JWKS, health, automatic key rotation.",
        discussion: """
            On an empty data directory it creates two separate development issuers, 'consumers' and \
            'contoso', each with its own keys (use --no-bootstrap in production). Stops gracefully on \
            SIGTERM or SIGINT.
            """
    )

    @Option(name: .customLong("data"), help: "Data directory: short for --database sqlite:DIR (default: $KEYBOUND_DATA or ./keybound-data).")
    var dataDirectory: String?
    @Option(name: .customLong("database"), help: "Where the stores live: sqlite:DIR or postgres://… (default: $KEYBOUND_DATABASE, else as --data).")
    var database: String?
    @Option(name: .customLong("config"), help: "YAML config file (default: $KEYBOUND_CONFIG); see docs/configuration.md.")
    var configFile: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: Int?
    @Option(name: .customLong("public-url"), help: "Public base URL (default http://localhost:<port>); issuers are <public-url>/<id>.")
    var publicURL: String?
    @Option(name: .customLong("rotation-interval"), help: "Seconds between rotation checks (default 60).") var rotationInterval: Int?
    @Flag(name: .customLong("no-bootstrap"), help: "Production mode: no development issuers, users or clients, and no generated admin token.")
    var noBootstrap = false
    @Flag(name: .customLong("with-mail"), help: "Also run the protected resources (Keybound Mail, docs/mail.md; Keybound Files, docs/resource-kit.md) on --mail-port in this process, trusting this provider's issuers.")
    var withMail = false
    @Option(name: .customLong("mail-port"), help: "Keybound Mail's port with --with-mail (default 8081).") var mailPort = 8081
    @Option(name: .customLong("metrics-listen"), help: "Where GET /metrics is served: HOST:PORT or off (default 127.0.0.1:9464; never the public port).")
    var metricsListen: String?
    @Option(name: .customLong("admin-listen"), help: "Where the admin API and the console are served: public, or HOST:PORT (default: public in development, 127.0.0.1:9465 with --no-bootstrap).")
    var adminListen: String?
    @Option(name: .customLong("alert-webhook"), help: "POST every security alert as JSON to this http(s) URL (default: $KEYBOUND_ALERT_WEBHOOK).")
    var alertWebhook: String?
    @Flag(name: .customLong("allow-core-dumps"), help: "Debugging only: let the process be dumped (it is not, by default, so that no core file holds its keys). Production mode refuses it.")
    var allowCoreDumps = false

    func validate() throws {
        if let port { guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") } }
        guard (1...65_535).contains(mailPort) else { throw ValidationError("--mail-port must be between 1 and 65535") }
        if let rotationInterval { guard rotationInterval >= 1 else { throw ValidationError("--rotation-interval must be at least 1 second") } }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
                throw ValidationError("--public-url must be an absolute http(s) URL without a query")
            }
        }
    }

    func run() async throws {
        var configuration = try serverConfiguration()
        // The one storage setting: flags, then the environment, then the config file's `database`.
        let location: DatabaseLocation
        do {
            location = try DatabaseLocation.resolve(database: database, data: dataDirectory, environment: ProcessInfo.processInfo.environment,
                                                    configured: configuration.database)
        } catch {
            throw CLIError(error)
        }
        if allowCoreDumps {
            guard configuration.bootstrap else {
                throw CLIError("--allow-core-dumps is for debugging: production mode (--no-bootstrap, or bootstrap: false) refuses it")
            }
            try ProcessHardening.allowCoreDumps()
        }
        // Production mode (--no-bootstrap, or bootstrap: false) never uses a development KEK.
        let stores = try await ServeStores.open(location, allowDevelopmentKEK: configuration.bootstrap)
        let manager = stores.manager
        let kek = manager.sealer.kek
        if !kek.isMemoryLocked {
            let why = "the key-encryption key could not be locked into memory (mlock: \(kek.memoryLockFailure ?? "refused")): "
                + "raise RLIMIT_MEMLOCK (ulimit -l; LimitMEMLOCK= in a systemd unit) or grant CAP_IPC_LOCK"
            guard configuration.bootstrap else { throw CLIError(why + "; production mode does not start with secrets that can be swapped out") }
            say("  warning: \(why)")
        }
        var generatedAdminToken: String?
        if configuration.bootstrap && configuration.adminToken == nil {
            // Development only: a random admin token for this process, printed below. Production
            // (--no-bootstrap) never gets one it was not given.
            generatedAdminToken = Secrets.random256(prefix: "kba_")
            configuration.adminToken = generatedAdminToken
        }
        var logger = Logger(label: "keybound")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let context = ProviderContext(manager: manager, store: stores.provider, configuration: configuration,
                                      rotationLeadership: stores.postgres?.rotationLeadership ?? SingleNodeLeadership())
        // Other nodes' commits wake this node's key cache and event streams (LISTEN/NOTIFY).
        stores.postgres?.listen { change in context.storeChanged(change) }
        if configuration.bootstrap {
            let created = try await storeCall { () async throws(StoreError) in try await DevelopmentBootstrap.run(context: context, now: Date(), resources: ProviderResources.developmentResources) }
            printDevelopmentCredentials(created, configuration: configuration)
        }
        _ = try await storeCall { () async throws(StoreError) in try await manager.tick(now: Date()) }
        let issuers = try await storeCall { () async throws(StoreError) in try await manager.issuers() }
        say("Keybound listening on http://\(configuration.host):\(configuration.port) (data: \(stores.description))")
        let adminWhere = configuration.adminListener.authority == nil ? "on the public listener" : "on its own listener, never the public one"
        if let generatedAdminToken {
            say("  admin API: \(configuration.consoleBaseURL)/admin (\(adminWhere); development token for this run: \(generatedAdminToken))")
        } else if configuration.adminToken == nil {
            say("  admin API: disabled (set KEYBOUND_ADMIN_TOKEN or admin.token to enable it)")
        } else {
            say("  admin API and console: \(configuration.consoleBaseURL)/admin, \(configuration.consoleBaseURL)/console (\(adminWhere))")
        }
        let metricsURL = configuration.metricsListener.map { "http://\($0.authority)/metrics" }
        say("  health: \(configuration.publicURL)/health   metrics: \(configuration.metricsEnabled ? metricsURL ?? "off" : "off")")
        say(ProcessHardening.isDumpable ? "  core dumps: ALLOWED (--allow-core-dumps), for debugging"
                                        : "  core dumps: off (the process is not dumpable)")
        say(kek.isHeldByToken ? "  key-encryption key: inside the PKCS#11 token (\(TokenKEKSource.variable); fingerprint \(kek.fingerprint))"
                              : "  key-encryption key: in locked memory (fingerprint \(kek.fingerprint))")
        let proxies = configuration.trustedProxies.ranges.map(\.description)
        say("  sign-in: \(context.passwordHashThreadCount) password-hashing thread(s), "
            + "\(configuration.passwordHashQueue) queued at most; trusted proxies: \(proxies.isEmpty ? "none" : proxies.joined(separator: ", ")); "
            + "CSRF secret: \(configuration.csrfSecret == nil ? "random for this process" : "from signin.csrf_secret_file")")
        if stores.postgres != nil && configuration.csrfSecret == nil {
            say("  warning: behind one load balancer every node needs the same signin.csrf_secret_file, "
                + "or a sign-in form posted to another node is refused")
        }
        for issuer in issuers {
            say("  \(issuer.id) (\(issuer.kind.rawValue)): \(issuer.url)/.well-known/openid-configuration  jwks: \(configuration.issuerURL(issuer.id))/jwks")
        }
        if let webhook = try alertWebhookSender(alertWebhook, logger: logger) {
            context.alerts.setWebhook(webhook)
            say("  security alerts: POSTed to \(webhook.url.absoluteString)")
        }
        var services: [any Service] = []
        var resources: ResourceHost?
        if withMail {
            guard mailPort != configuration.port else { throw CLIError("--mail-port must differ from the provider's port") }
            let resourceLogger = Logger(label: "keybound.mail")
            if let postgres = stores.postgres {
                // Mailboxes, drives and the audit log in the shared database; the audit key sealed in the key store.
                resources = try await ProviderResources.host(context: context, database: postgres.database, logger: resourceLogger)
            } else if let directory = stores.directory {
                resources = try await ProviderResources.host(context: context, directory: directory, logger: resourceLogger)
            } else {
                throw CLIError("--with-mail needs a data directory or a PostgreSQL database")
            }
        }
        // The console's incidents: in the shared database on PostgreSQL, else the data directory's incidents/ folder.
        let incidents: (any IncidentStore)? = if let postgres = stores.postgres { try await PostgresIncidentStore.open(database: postgres.database) } else { nil }
        services.append(ProviderAssembly.make(context: context, logger: logger, auditLog: resources?.audit, incidents: incidents))
        if let admin = ProviderAssembly.adminApplication(context: context, logger: logger, auditLog: resources?.audit, incidents: incidents) {
            services.append(admin)
        }
        if let metrics = KeyboundApplication.metricsApplication(configuration: configuration, logger: logger) {
            services.append(metrics)
        }
        if let resources {
            say("  Keybound Mail: http://\(configuration.host):\(mailPort) (audience \(MailAPI.audience); audit log \(resources.audit.location))")
            say("  Keybound Files: http://\(configuration.host):\(mailPort)/me/drive/files (audience \(FilesAPI.audience))")
            services.append(resources.application(host: configuration.host, port: mailPort, serverName: "keybound-mail", logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension ServeCommand {
    /// Defaults, then the config file, then the environment (docs/configuration.md), then the flags given.
    func serverConfiguration() throws -> ServerConfiguration {
        var configuration: ServerConfiguration
        do {
            configuration = try ConfigurationFile.load(path: configFile, environment: ProcessInfo.processInfo.environment,
                                                       base: ServerConfiguration())
        } catch {
            throw CLIError("configuration: \(error.description)")
        }
        // A public URL that is still the default one follows a --port flag.
        let followsPort = configuration.publicURL == "http://localhost:\(configuration.port)"
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let publicURL {
            configuration.publicURL = ServerConfiguration(publicURL: publicURL).publicURL
        } else if followsPort {
            configuration.publicURL = "http://localhost:\(configuration.port)"
        }
        if let rotationInterval { configuration.rotationInterval = .seconds(rotationInterval) }
        if let metricsListen {
            do { configuration.metricsListener = try MetricsListener.parse(metricsListen) } catch {
                throw CLIError("--metrics-listen \(error.message)")
            }
        }
        if let listener = configuration.metricsListener, configuration.metricsEnabled, listener.port == configuration.port {
            throw CLIError("the metrics listener (\(listener.authority)) must not use the public port \(configuration.port)")
        }
        if noBootstrap { configuration.bootstrap = false }
        if let adminListen {
            do { configuration.adminListen = try AdminListener.parse(adminListen) } catch { throw CLIError("--admin-listen \(error.message)") }
        }
        if case .own(_, let adminPort) = configuration.adminListener, configuration.adminToken != nil {
            var taken = [("the public port", configuration.port)]
            if configuration.metricsEnabled, let metrics = configuration.metricsListener { taken.append(("the metrics listener's port", metrics.port)) }
            if withMail { taken.append(("--mail-port", mailPort)) }
            if let clash = taken.first(where: { $0.1 == adminPort }) {
                throw CLIError("the admin listener (\(configuration.adminListener.authority ?? "")) must not use \(clash.0) \(adminPort)")
            }
        }
        return configuration
    }
}

/// The alert webhook named by `flag` or `$KEYBOUND_ALERT_WEBHOOK`, if any.
func alertWebhookSender(_ flag: String?, logger: Logger) throws -> AlertWebhook? {
    guard let text = flag ?? ProcessInfo.processInfo.environment["KEYBOUND_ALERT_WEBHOOK"], !text.isEmpty else { return nil }
    guard let url = URL(string: text) else { throw CLIError("--alert-webhook: '\(text)' is not a URL") }
    do { return try AlertWebhook(url: url, logger: logger) } catch { throw CLIError("--alert-webhook: \(error.description)") }
}

/// Prints the development users and clients once, when they are created; the secrets are not stored anywhere.
func printDevelopmentCredentials(_ created: DevelopmentBootstrap.Created, configuration: ServerConfiguration) {
    guard !created.isEmpty else { return }
    say("Development credentials (shown once; only their hashes are stored):")
    for item in created.issuers {
        say("  \(item.issuer.id) (\(item.issuer.kind.rawValue)) \(item.issuer.url)")
        say("    user:                \(item.username) / \(item.password)")
        say("    confidential client: \(item.confidentialClientID) / \(item.clientSecret)  (client_secret_basic; role api://mail/Mail.Read.All)")
        say("    public client:       \(item.publicClientID)  (PKCE S256; redirect \(DevelopmentBootstrap.redirectURIs.joined(separator: ", ")))")
        say("    mail server client:  \(item.mailServerClientID) / \(item.mailServerSecret)  (serves \(DevelopmentBootstrap.mailAudience): introspection, token-events)")
    }
    say("  console (\(configuration.consoleBaseURL)/console):")
    for user in created.consoleUsers {
        say("    \(user.issuer.id) (\(user.issuer.kind.rawValue)) console user: \(user.username) / \(user.password)  (\(user.role))")
    }
}
