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
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(name: .customLong("public-url"), help: "Public base URL (default http://localhost:<port>); issuers are <public-url>/<id>.")
    var publicURL: String?
    @Option(name: .customLong("rotation-interval"), help: "Seconds between rotation checks.") var rotationInterval = 60
    @Flag(name: .customLong("no-bootstrap"), help: "Do not create development issuers on an empty store.") var noBootstrap = false

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard rotationInterval >= 1 else { throw ValidationError("--rotation-interval must be at least 1 second") }
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
        let configuration = ServerConfiguration(host: host, port: port, publicURL: publicURL,
                                                rotationInterval: .seconds(rotationInterval), bootstrap: !noBootstrap,
                                                adminToken: ProcessInfo.processInfo.environment["KEYBOUND_ADMIN_TOKEN"])
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
        say("Keybound listening on http://\(host):\(port) (data: \(options.directory.path))")
        say("  health: \(configuration.publicURL)/health")
        for issuer in issuers {
            say("  \(issuer.id) (\(issuer.kind.rawValue)): \(issuer.url)/.well-known/openid-configuration  jwks: \(configuration.issuerURL(issuer.id))/jwks")
        }
        let app = KeyboundApplication.make(context: context, logger: logger)
        try await app.runService()
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
