import Foundation
import Hummingbird
import Keybound
import KeyboundApp
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundHunt
import KeyboundIncident
import KeyboundMail
import KeyboundPostgres
import KeyboundServer
import KeyboundStore
import Logging
import ServiceLifecycle
import Synchronization

/// Everything the drill runs, in this process, on 127.0.0.1:
///
/// - the provider (`ProviderAssembly.router`) over a key store and provider store in the data
///   directory, or in a PostgreSQL database, on the simulated clock;
/// - Keybound Mail as `keybound serve --with-mail` runs it (``KeyboundApp/ProviderMail``): the
///   provider's own trust and the issuance-ledger check;
/// - the mail edge: a second front end over the same mailboxes and the same audit log, set up as
///   `keybound mail serve` is — keys from each issuer's JWKS through ``RemoteTrustStore``,
///   revocations over the key-event push channel, and no ledger.
///
/// The rotation service is not run: the drill rotates keys itself, on simulated time.
final class DrillWorld: Sendable {
    let directory: URL
    let clock: DrillClock
    let context: ProviderContext
    /// The provider's store (the issuance ledger the hunt and the response read).
    let ledger: any ProviderStore
    /// Where the stores are: the data directory, or the database (no password).
    let storeDescription: String
    /// The audit log both front ends write, as the hunt reads it.
    let auditSource: HuntAuditSource
    /// Where incidents are kept: the data directory's `incidents/`, or the database.
    let incidents: any IncidentStore
    let tenants: [DrillTenant]
    let mail: MailService
    let edge: MailService
    let edgeTrust: RemoteTrustStore
    let edgeAlerts: AlertCenter
    let providerURL: String
    let mailURL: String
    let edgeURL: String
    let http: DrillHTTP
    private let services: Task<Void, any Error>
    private let subscriber: Task<Void, Never>

    private init(directory: URL, clock: DrillClock, context: ProviderContext, stores: Stores, tenants: [DrillTenant], mail: MailService,
                 edge: MailService, edgeTrust: RemoteTrustStore, edgeAlerts: AlertCenter, urls: [String], http: DrillHTTP,
                 services: Task<Void, any Error>, subscriber: Task<Void, Never>) {
        self.directory = directory
        self.clock = clock
        self.context = context
        self.ledger = stores.ledger
        self.storeDescription = stores.description
        self.auditSource = stores.postgres == nil ? .sqliteDirectory(directory) : .log(mail.audit)
        self.incidents = stores.incidents
        self.tenants = tenants
        self.mail = mail
        self.edge = edge
        self.edgeTrust = edgeTrust
        self.edgeAlerts = edgeAlerts
        (providerURL, mailURL, edgeURL) = (urls[0], urls[1], urls[2])
        self.http = http
        self.services = services
        self.subscriber = subscriber
    }

    var oauth: DrillOAuth { DrillOAuth(http: http) }
    var manager: KeyManager { context.manager }
    func tenant(_ id: String) -> DrillTenant { tenants.first { $0.id == id }! }
    func url(of frontEnd: FrontEnd) -> String { frontEnd == .keyboundMail ? mailURL : edgeURL }

    /// Creates the stores and the cast, starts the three servers and the push channel, and waits
    /// until all answer and the edge has loaded every issuer's keys.
    static func start(directory: URL, clock: DrillClock, verbose: Bool, database: PostgresConnectionSettings? = nil,
                      environment: [String: String] = [:]) async throws -> DrillWorld {
        let ports = try DrillPorts.free(3)
        let providerURL = "http://127.0.0.1:\(ports[0])"
        let logger = Self.logger("keybound.drill", verbose: verbose)
        let configuration = ServerConfiguration(host: "127.0.0.1", port: ports[0], publicURL: providerURL, bootstrap: false,
                                                passwordHashCost: 4, metricsEnabled: false)
        let stores = try await Stores.open(directory: directory, database: database, environment: environment, logger: logger)
        let context = ProviderContext(manager: stores.manager, store: stores.ledger, configuration: configuration,
                                      now: clock.reader)
        stores.postgres?.listen { change in context.storeChanged(change) }
        // The store is new, so the consumer realm, created first, gets the well-known consumer tid.
        let tenants = DrillCast.tenants(configuration: configuration, consumerTenantID: IssuerRecord.wellKnownConsumerTenantID)
        try await DrillCast.register(tenants, context: context, now: clock.now())

        let verification = VerificationClock(clock.reader)
        let mail: MailService
        if let postgres = stores.postgres {
            mail = try await ProviderMail.service(context: context, database: postgres.database, logger: logger, ledgerCheck: true,
                                                  now: clock.reader, clock: verification)
        } else {
            mail = try await ProviderMail.service(context: context, directory: directory, logger: logger, ledgerCheck: true,
                                                  now: clock.reader, clock: verification)
        }
        let cache = VerifiedTokenCache()
        let edgeIssuers = try RemoteTrustStore.Configuration(
            issuers: tenants.map { RemoteTrustStore.Issuer(url: $0.url, tenantID: $0.tenantID) })
        // Nothing below throws until the world exists, whose stop() shuts the HTTP clients down.
        let http = DrillHTTP()
        let edgeTrust = RemoteTrustStore(configuration: edgeIssuers, fetcher: AsyncHTTPClientFetcher(timeout: 5, client: http.edgeClient),
                                         cache: cache, now: clock.reader)
        let edgeAlerts = AlertCenter(logger: Self.logger("keybound.alerts", verbose: verbose), now: clock.reader)
        // The edge is `keybound mail serve`'s assembly (``RemoteMail``) over the same mailboxes and audit log.
        // (A Result, not a `catch` that awaits: see docs/compiler-notes.md.)
        let remote: RemoteMail
        switch Result(catching: { try RemoteMail.makeLegacy(store: mail.store, audit: mail.audit, trust: edgeTrust, client: http.edgeClient,
                                                            logger: logger, alerts: edgeAlerts, now: clock.reader, clock: verification) }) {
        case .success(let made):
            remote = made
        case .failure(let error):
            await http.shutdown()
            throw error
        }
        let edge = remote.service

        let provider = Application(router: ProviderAssembly.router(context: context, auditLog: stores.postgres == nil ? nil : mail.audit),
                                   configuration: .init(address: .hostname("127.0.0.1", port: ports[0]), serverName: "keybound"),
                                   logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [provider, mail.application(host: "127.0.0.1", port: ports[1], logger: logger),
                       edge.application(host: "127.0.0.1", port: ports[2], logger: logger)],
            logger: logger))
        let services = Task { try await group.run() }
        // The push channel runs apart from the servers so that it can be stopped first (see ``stop()``).
        let push = remote.subscribers
        let subscriber = Task { for channel in push { try? await channel.run() } }
        let world = DrillWorld(directory: directory, clock: clock, context: context, stores: stores, tenants: tenants, mail: mail, edge: edge,
                               edgeTrust: edgeTrust, edgeAlerts: edgeAlerts, urls: ports.map { "http://127.0.0.1:\($0)" },
                               http: http, services: services, subscriber: subscriber)
        do {
            try await world.waitUntilReady()
        } catch {
            await world.stop()
            throw error
        }
        return world
    }

    private func waitUntilReady() async throws {
        for base in [providerURL, mailURL, edgeURL] {
            var ready = false
            for _ in 0..<200 where !ready {
                ready = (try? await http.get(base + "/health"))?.status == 200
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard ready else { throw StormDrillError("\(base) did not start") }
        }
        try await waitForEdgeKeys()
    }

    /// Waits until the edge has loaded every issuer's key set (the push channel loads it once
    /// connected); after 5 s it fetches the key sets itself.
    func waitForEdgeKeys() async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while tenants.contains(where: { !edgeTrust.isLoaded($0.url) }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        await edgeTrust.refreshAll()
        if let missing = tenants.first(where: { !edgeTrust.isLoaded($0.url) }) {
            throw StormDrillError("the mail edge could not load the keys of \(missing.url): \(edgeTrust.lastError(missing.url) ?? "?")")
        }
    }

    /// Whether the edge's trust store already holds `keyID` of `issuer` as revoked.
    func edgeSeesRevoked(issuer: String, keyID: String) -> Bool {
        edgeTrust.trustStore().issuer(issuer)?.key(withID: keyID)?.lifecycle.revocation != nil
    }

    /// Stops the push channel, then the servers (a few seconds at most).
    ///
    /// Order matters: a server task cancelled while a new connection waits to be accepted traps in
    /// NIO ("Deinited NIOAsyncWriter without calling finish()"). So every client stops first — the
    /// push channel, which would reconnect, and the drill's own HTTP clients (the edge's among them:
    /// AsyncHTTPClient may finish making a connection after its request was cancelled, and
    /// shutting the client down waits for it) — and only then are the
    /// servers cancelled, with nothing left to connect to them.
    func stop() async {
        subscriber.cancel()
        _ = await Self.wait(for: subscriber, seconds: 5)
        await http.shutdown()
        services.cancel()
        _ = await Self.wait(for: services, seconds: 5)
    }

    /// Waits for `task` to end, at most `seconds`; returns whether it ended.
    private static func wait<Success: Sendable, Failure: Error>(for task: Task<Success, Failure>, seconds: Double) async -> Bool {
        let done = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Task { _ = await task.result; if done.claim() { continuation.resume(returning: true) } }
            Task { try? await Task.sleep(for: .seconds(seconds)); if done.claim() { continuation.resume(returning: false) } }
        }
    }

    static func logger(_ label: String, verbose: Bool) -> Logger {
        if verbose {
            var logger = Logger(label: label)
            logger.logLevel = .info
            return logger
        }
        return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
}

/// True for the first caller of ``claim()`` only.
private final class Once: Sendable {
    private let claimed = Mutex(false)
    func claim() -> Bool { claimed.withLock { state in defer { state = true }; return !state } }
}
