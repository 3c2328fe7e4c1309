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
@_spi(Plumbing) import KeyboundServer
import KeyboundResourceKit
import KeyboundStore
import Logging
import NIOCore
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
///   revocations over the key-event push channel, and each issuer's issuance feed, followed as its
///   server client (the remote forgery check);
/// - the legacy validator: a third, set up the same way but with the issuance check skipped for
///   every issuer (`--unsafe-skip-issuance-check`), as a validator that predates the feed.
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
    /// The audit log every front end writes, as the hunt reads it.
    let auditSource: HuntAuditSource
    /// Where incidents are kept: the data directory's `incidents/`, or the database.
    let incidents: any IncidentStore
    let tenants: [DrillTenant]
    let mail: MailService
    let edge: RemoteFrontEnd
    let legacy: RemoteFrontEnd
    let providerURL: String
    let mailURL: String
    let http: DrillHTTP
    private let services: Task<Void, any Error>
    private let subscriber: Task<Void, Never>

    /// A front end in a process of its own (as `keybound mail serve`), over the shared mailboxes.
    struct RemoteFrontEnd: Sendable {
        let remote: RemoteMail
        let alerts: AlertCenter
        let url: String

        var service: MailService { remote.service }
        var trust: RemoteTrustStore { remote.trust }
        var subscribers: [any Service] { remote.subscribers }
    }

    var edgeTrust: RemoteTrustStore { edge.trust }
    var edgeAlerts: AlertCenter { edge.alerts }
    var edgeURL: String { edge.url }

    private init(directory: URL, clock: DrillClock, context: ProviderContext, stores: Stores, tenants: [DrillTenant], mail: MailService,
                 edge: RemoteFrontEnd, legacy: RemoteFrontEnd, urls: [String], http: DrillHTTP,
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
        self.legacy = legacy
        (providerURL, mailURL) = (urls[0], urls[1])
        self.http = http
        self.services = services
        self.subscriber = subscriber
    }

    var oauth: DrillOAuth { DrillOAuth(http: http) }
    var manager: KeyManager { context.manager }
    func tenant(_ id: String) -> DrillTenant { tenants.first { $0.id == id }! }
    func url(of frontEnd: FrontEnd) -> String {
        switch frontEnd {
        case .keyboundMail: mailURL
        case .edge: edge.url
        case .legacy: legacy.url
        }
    }

    /// The alerts a front end raised.
    func alerts(of frontEnd: FrontEnd) -> [SecurityAlert] {
        switch frontEnd {
        case .keyboundMail: context.alerts.alerts()
        case .edge: edge.alerts.alerts()
        case .legacy: legacy.alerts.alerts()
        }
    }

    /// Creates the stores and the cast, starts the four servers and the event streams, and waits
    /// until all answer, the remote front ends have loaded every issuer's keys and the edge hears
    /// every issuer's issuance feed.
    static func start(directory: URL, clock: DrillClock, verbose: Bool, database: PostgresConnectionSettings? = nil,
                      environment: [String: String] = [:], custodian: (any KeyGeneratingCustodian)? = nil,
                      requestTimeout: Duration) async throws -> DrillWorld {
        let ports = try DrillPorts.free(4)
        let providerURL = "http://127.0.0.1:\(ports[0])"
        let logger = Self.logger("keybound.drill", verbose: verbose)
        let configuration = ServerConfiguration(host: "127.0.0.1", port: ports[0], publicURL: providerURL, bootstrap: false,
                                                passwordHashCost: 4, metricsEnabled: false)
        let stores = try await Stores.open(directory: directory, database: database, environment: environment, custodian: custodian,
                                           logger: logger)
        let context = ProviderContext(manager: stores.manager, store: stores.ledger, configuration: configuration,
                                      now: clock.reader)
        stores.postgres?.listen { change in context.storeChanged(change) }
        // The store is new, so the consumer realm, created first, gets the well-known consumer tid.
        let tenants = DrillCast.tenants(configuration: configuration, consumerTenantID: IssuerRecord.wellKnownConsumerTenantID)
        let edgeSecret = Secrets.random256(prefix: "kbs_")
        try await DrillCast.register(tenants, context: context, edgeSecret: edgeSecret, custody: custodian == nil ? .software : .pkcs11,
                                     now: clock.now())

        let verification = VerificationClock(clock.reader)
        let mail: MailService
        if let postgres = stores.postgres {
            mail = try await ProviderMail.service(context: context, database: postgres.database, logger: logger, ledgerCheck: true,
                                                  now: clock.reader, clock: verification)
        } else {
            mail = try await ProviderMail.service(context: context, directory: directory, logger: logger, ledgerCheck: true,
                                                  now: clock.reader, clock: verification)
        }
        // Nothing below throws until the world exists, whose stop() shuts the HTTP clients down.
        let http = DrillHTTP(requestTimeout: TimeAmount(requestTimeout))
        let credentials = Dictionary(uniqueKeysWithValues: tenants.map {
            ($0.url, StreamCredentials.clientSecretBasic(clientID: DrillCast.edgeClientID, secret: edgeSecret))
        })
        // The edge and the legacy validator are `keybound mail serve`'s assembly (``RemoteMail``)
        // over the same mailboxes and audit log. (A Result, not a `catch` that awaits: see docs/compiler-notes.md.)
        let edge: RemoteFrontEnd, legacy: RemoteFrontEnd
        switch Result(catching: {
            (try remoteFrontEnd(tenants: tenants, mail: mail, http: http, clock: clock, verification: verification, verbose: verbose,
                                url: "http://127.0.0.1:\(ports[2])", logger: logger) { trust, alerts in
                try RemoteMail.make(store: mail.store, audit: mail.audit, trust: trust, client: http.edgeClient, credentials: credentials,
                                    issuanceCheck: RemoteIssuanceCheck(), logger: logger, alerts: alerts, now: clock.reader, clock: verification)
            },
             try remoteFrontEnd(tenants: tenants, mail: mail, http: http, clock: clock, verification: verification, verbose: verbose,
                                url: "http://127.0.0.1:\(ports[3])", logger: logger) { trust, alerts in
                try RemoteMail.makeLegacy(store: mail.store, audit: mail.audit, trust: trust, client: http.edgeClient,
                                          logger: logger, alerts: alerts, now: clock.reader, clock: verification)
            })
        }) {
        case .success(let made):
            (edge, legacy) = made
        case .failure(let error):
            await http.shutdown()
            throw error
        }

        let provider = Application(router: ProviderAssembly.router(context: context, auditLog: stores.postgres == nil ? nil : mail.audit),
                                   configuration: .init(address: .hostname("127.0.0.1", port: ports[0]), serverName: "keybound"),
                                   logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [provider, mail.application(host: "127.0.0.1", port: ports[1], logger: logger),
                       edge.service.application(host: "127.0.0.1", port: ports[2], logger: logger),
                       legacy.service.application(host: "127.0.0.1", port: ports[3], logger: logger)],
            logger: logger))
        let services = Task { try await group.run() }
        // The event streams run apart from the servers so that they can be stopped first (see ``stop()``).
        let streams = edge.subscribers + legacy.subscribers
        let subscriber = Task {
            await withDiscardingTaskGroup { group in
                for stream in streams { group.addTask { try? await stream.run() } }
            }
        }
        let world = DrillWorld(directory: directory, clock: clock, context: context, stores: stores, tenants: tenants, mail: mail, edge: edge,
                               legacy: legacy, urls: ports.map { "http://127.0.0.1:\($0)" },
                               http: http, services: services, subscriber: subscriber)
        do {
            try await world.waitUntilReady()
        } catch {
            await world.stop()
            throw error
        }
        return world
    }

    /// A remote front end: its own trust store (through the drill's HTTP client), alerts and
    /// service, made by `make`.
    private static func remoteFrontEnd(tenants: [DrillTenant], mail: MailService, http: DrillHTTP, clock: DrillClock,
                                       verification: VerificationClock, verbose: Bool, url: String, logger: Logger,
                                       make: (RemoteTrustStore, AlertCenter) throws -> RemoteMail) throws -> RemoteFrontEnd {
        let issuers = try RemoteTrustStore.Configuration(issuers: tenants.map { RemoteTrustStore.Issuer(url: $0.url, tenantID: $0.tenantID) })
        let trust = RemoteTrustStore(configuration: issuers, fetcher: AsyncHTTPClientFetcher(timeout: 5, client: http.edgeClient),
                                     cache: VerifiedTokenCache(), now: clock.reader)
        let alerts = AlertCenter(logger: Self.logger("keybound.alerts", verbose: verbose), now: clock.reader)
        let remote = try make(trust, alerts)
        return RemoteFrontEnd(remote: remote, alerts: alerts, url: url)
    }

    private func waitUntilReady() async throws {
        for base in [providerURL, mailURL, edge.url, legacy.url] {
            var ready = false
            for _ in 0..<200 where !ready {
                ready = (try? await http.get(base + "/health"))?.status == 200
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard ready else { throw StormDrillError("\(base) did not start") }
        }
        try await waitForEdgeKeys()
        try await waitForEdgeFeeds()
    }

    /// Waits (up to 10 s) until the edge has caught up with every issuer's issuance feed, as
    /// `keybound mail serve` does before it listens: until then it refuses every token
    /// (`ledger_unavailable`), as it must.
    private func waitForEdgeFeeds() async throws {
        guard edge.subscribers.contains(where: { $0 is TokenEventSubscriber }) else {
            throw StormDrillError("the mail edge follows no issuance feed")
        }
        if let missing = await edge.remote.waitForIssuanceFeeds(timeout: .seconds(10)).first {
            let reason = edge.subscribers.lazy.compactMap { ($0 as? TokenEventSubscriber)?.lastError(of: missing) }.first ?? "?"
            throw StormDrillError("the mail edge never caught up with the issuance feed of \(missing): \(reason)")
        }
    }

    /// Waits until the edge and the legacy validator have loaded every issuer's key set (the push
    /// channel loads it once connected); after 5 s they fetch the key sets themselves.
    func waitForEdgeKeys() async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        for frontEnd in [edge, legacy] {
            while tenants.contains(where: { !frontEnd.trust.isLoaded($0.url) }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await frontEnd.trust.refreshAll()
            if let missing = tenants.first(where: { !frontEnd.trust.isLoaded($0.url) }) {
                throw StormDrillError("\(frontEnd.url) could not load the keys of \(missing.url): \(frontEnd.trust.lastError(missing.url) ?? "?")")
            }
        }
    }

    /// Fetches every remote front end's key sets again (they expire overnight on simulated time).
    func refreshRemoteKeys() async {
        for frontEnd in [edge, legacy] { await frontEnd.trust.refreshAll() }
    }

    /// Whether the edge's trust store already holds `keyID` of `issuer` as revoked.
    func edgeSeesRevoked(issuer: String, keyID: String) -> Bool {
        edgeTrust.trustStore().issuer(issuer)?.key(withID: keyID)?.lifecycle.revocation != nil
    }

    /// Stops the event streams, then the servers (a few seconds at most).
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
