import ArgumentParser
import Foundation
import Hummingbird
import Keybound
import KeyboundServer
import KeyboundStore
import Logging

/// `keybound serve`: the identity provider on the embedded SQLite store.
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

    @Option(name: .customLong("data"), help: "Data directory (default: $KEYBOUND_DATA or ./keybound-data).")
    var dataDirectory: String?
    @Option(name: .customLong("config"), help: "YAML config file (default: $KEYBOUND_CONFIG); see docs/configuration.md.")
    var configFile: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: Int?
    @Option(name: .customLong("public-url"), help: "Public base URL (default http://localhost:<port>); issuers are <public-url>/<id>.")
    var publicURL: String?
    @Option(name: .customLong("rotation-interval"), help: "Seconds between rotation checks (default 60).") var rotationInterval: Int?
    @Flag(name: .customLong("no-bootstrap"), help: "Production mode: no development issuers, users or clients, and no generated admin token.")
    var noBootstrap = false

    func validate() throws {
        if let port { guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") } }
        if let rotationInterval { guard rotationInterval >= 1 else { throw ValidationError("--rotation-interval must be at least 1 second") } }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
                throw ValidationError("--public-url must be an absolute http(s) URL without a query")
            }
        }
    }

    func run() async throws {
        var options = try StoreOptions.parse(dataDirectory.map { ["--data", $0] } ?? [])
        options.json = false
        let manager = try options.openManager()
        var configuration = try serverConfiguration()
        var generatedAdminToken: String?
        if configuration.bootstrap && configuration.adminToken == nil {
            // Development only: a random admin token for this process, printed below. Production
            // (--no-bootstrap) never gets one it was not given.
            generatedAdminToken = Secrets.random256(prefix: "kba_")
            configuration.adminToken = generatedAdminToken
        }
        var logger = Logger(label: "keybound")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let providerStore = try storeCall { () throws(StoreError) in try ProviderStore(directory: options.directory) }
        let context = ProviderContext(manager: manager, store: providerStore, configuration: configuration)
        if configuration.bootstrap {
            let created = try storeCall { () throws(StoreError) in try DevelopmentBootstrap.run(context: context, now: Date()) }
            printDevelopmentCredentials(created)
        }
        _ = try storeCall { () throws(StoreError) in try manager.tick(now: Date()) }
        let issuers = try storeCall { () throws(StoreError) in try manager.issuers() }
        say("Keybound listening on http://\(configuration.host):\(configuration.port) (data: \(options.directory.path))")
        if let generatedAdminToken {
            say("  admin API: \(configuration.publicURL)/admin (development token for this run: \(generatedAdminToken))")
        } else if configuration.adminToken == nil {
            say("  admin API: disabled (set KEYBOUND_ADMIN_TOKEN or admin.token to enable it)")
        }
        say("  health: \(configuration.publicURL)/health   metrics: \(configuration.metricsEnabled ? configuration.publicURL + "/metrics" : "off")")
        for issuer in issuers {
            say("  \(issuer.id) (\(issuer.kind.rawValue)): \(issuer.url)/.well-known/openid-configuration  jwks: \(configuration.issuerURL(issuer.id))/jwks")
        }
        let app = KeyboundApplication.make(context: context, logger: logger)
        try await app.runService()
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
        if noBootstrap { configuration.bootstrap = false }
        return configuration
    }
}

/// Prints the development users and clients once, when they are created; the secrets are not stored anywhere.
func printDevelopmentCredentials(_ created: [DevelopmentBootstrap.Credentials]) {
    guard !created.isEmpty else { return }
    say("Development credentials (shown once; only their hashes are stored):")
    for item in created {
        say("  \(item.issuer.id) (\(item.issuer.kind.rawValue)) \(item.issuer.url)")
        say("    user:                \(item.username) / \(item.password)")
        say("    confidential client: \(item.confidentialClientID) / \(item.clientSecret)  (client_secret_basic; role api://mail/Mail.Read.All)")
        say("    public client:       \(item.publicClientID)  (PKCE S256; redirect \(DevelopmentBootstrap.redirectURIs.joined(separator: ", ")))")
    }
}
