import Foundation
import Hummingbird
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging
import ServiceLifecycle

/// `KeyboundSignInLoad serve`: the provider as `keybound serve` runs it (release build, bcrypt cost
/// 12, the default hashing pool and throttles), on a fresh temporary data directory with the
/// development issuers plus `known-0` … `known-N` users at contoso (one shared bcrypt hash). Prints
/// `CLIENT <id> <secret>`, `PUBLIC <client id> <redirect uri>` and `READY` once listening.
enum SignInLoadServer {
    static func run(_ options: SignInLoadOptions) async throws {
        var logger = Logger(label: "signin-load")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-signin-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        var configuration = ServerConfiguration(port: options.port, publicURL: "https://login.bench.invalid")
        configuration.passwordHashCost = UInt8(options.bcryptCost)
        if let threads = options.hashThreads { configuration.passwordHashThreads = threads }
        if let queue = options.hashQueue { configuration.passwordHashQueue = queue }
        let context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
        let credentials = try await DevelopmentBootstrap.run(context: context, now: Date())
        guard let contoso = credentials.first(where: { $0.issuer.id == DevelopmentBootstrap.tenantIssuerID }) else {
            fatalError("the development bootstrap created no contoso issuer")
        }
        let hash = PasswordHasher.hash(Secrets.random256(), cost: configuration.passwordHashCost)
        for index in 0..<options.knownUsers {
            try await context.store.insert(UserRecord(issuerID: contoso.issuer.id, subject: Secrets.uuid(), username: "known-\(index)",
                                                passwordHash: hash, displayName: "Known \(index)", email: nil, createdAt: Date()))
        }
        let app = KeyboundApplication.make(context: context, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let lines = """
            CLIENT \(contoso.confidentialClientID) \(contoso.clientSecret)
            PUBLIC \(contoso.publicClientID) \(DevelopmentBootstrap.redirectURIs[0])
            THREADS \(context.passwordHashThreadCount) QUEUE \(configuration.passwordHashQueue) COST \(configuration.passwordHashCost)
            READY

            """
        let announce = Task {
            // Announce only once the port answers.
            for _ in 0..<200 {
                if (try? LoadConnection(port: options.port).send(LoadRequest.get("/health")))?.status == 200 { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        try await group.run()
        announce.cancel()
    }
}
