import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundResourceKit
import KeyboundValidation
import Logging

/// Keybound Mail: the routes, guarded by the resource kit (bearer authentication in front, one
/// audit record per attempt behind).
///
/// The verifier comes from a closure called per request, so trust can change while the service
/// runs: inside `keybound serve` it reads the provider's own key store, in `keybound mail serve`
/// a `RemoteTrustStore` kept current by the push channel.
public struct MailService: ProtectedResource {
    /// Keybound Mail to the kit: audience `api://mail`, realm `keybound-mail`.
    public static let resource = ResourceDescription(name: "Keybound Mail", metricsName: "mail", audience: MailAPI.audience,
                                                     realm: MailAPI.realm, scopes: [MailAPI.readScope, MailAPI.sendScope],
                                                     tenantRoles: [MailAPI.readAllRole, MailAPI.auditReadRole], classify: MailOperation.classify)
    /// Mailboxes and messages.
    public let store: MailStore
    /// Where every access attempt is recorded.
    public let audit: AuditLog
    /// Settings.
    public let configuration: MailConfiguration
    /// Authentication and auditing around the routes.
    public let resourceGuard: ResourceGuard
    let now: @Sendable () -> Date
    let logger: Logger

    /// Verified tokens reused until their `exp` (at most 60 s), cleared per key on revocation.
    public var cache: VerifiedTokenCache? { resourceGuard.trust.cache }
    /// Raises an alert for every refused token that shows a real key used where it does not belong.
    public var alerts: AlertCenter? { resourceGuard.alerts }

    /// A service over `store` and `audit`, verifying with `trust` (see `ResourceTrust`).
    public init(store: MailStore, audit: AuditLog, configuration: MailConfiguration, trust: ResourceTrust,
                alerts: AlertCenter? = nil, logger: Logger = Logger(label: "keybound.mail"), now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(store: store, audit: audit, configuration: configuration,
                  resourceGuard: ResourceGuard(description: Self.resource, audit: audit, trust: trust, alerts: alerts,
                                               refusedAuditLimits: configuration.refusedAuditLimits, logger: logger, now: now),
                  logger: logger, now: now)
    }

    /// A service over `store` and `audit` behind `resourceGuard` (whose description is ``resource``).
    init(store: MailStore, audit: AuditLog, configuration: MailConfiguration, resourceGuard: ResourceGuard, logger: Logger,
         now: @escaping @Sendable () -> Date) {
        self.store = store
        self.audit = audit
        self.configuration = configuration
        self.now = now
        self.logger = logger
        self.resourceGuard = resourceGuard
    }

    /// A service over `store` and `audit`.
    ///
    /// - Parameters:
    ///   - store: Mailboxes and messages.
    ///   - audit: Where every access attempt is recorded.
    ///   - configuration: Settings (the issuers allowed, the limits of refused-attempt records).
    ///   - cache: A verified-token cache (recommended; see `VerifiedTokenCache`).
    ///     Whoever revokes keys must clear it (the remote trust store and the provider adapter do).
    ///   - alerts: Where alerts are raised (`TokenRejection/isAlert` codes), with
    ///     the attempt's tenant, mailbox, client and address.
    ///   - onRejection: Called for every refused token after its audit record is written (an
    ///     `unknown_key` rejection is the moment to refresh a remote trust store).
    ///   - onlineChecks: Checks that may wait, run after the verifier on tokens the cache did not
    ///     hold (`OnlineTokenCheck`), for example the issuance-ledger check.
    ///   - logger: The service's logger.
    ///   - now: The service's clock (audit record times).
    ///   - verifier: Returns the verifier for this moment; its policy's audience should be
    ///     ``MailAPI/audience`` (`MailService/policy()`).
    public init(store: MailStore, audit: AuditLog, configuration: MailConfiguration, cache: VerifiedTokenCache? = VerifiedTokenCache(),
                logger: Logger = Logger(label: "keybound.mail"), now: @escaping @Sendable () -> Date = { Date() },
                alerts: AlertCenter? = nil, onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in },
                onlineChecks: [any OnlineTokenCheck] = [], verifier: @escaping @Sendable () async -> TokenVerifier) {
        self.init(store: store, audit: audit, configuration: configuration,
                  trust: ResourceTrust(cache: cache, onlineChecks: onlineChecks, onRejection: onRejection, verifier: verifier),
                  alerts: alerts, logger: logger, now: now)
    }

    /// Opens the mail store in `environment`'s storage (`mail.sqlite` in the data directory, or
    /// the shared PostgreSQL database) and builds the service on its audit log and trust.
    public static func open(_ environment: ResourceEnvironment) async throws -> MailService {
        let store = try await environment.storage.open(resource.name, sqlite: MailStore.init(directory:), postgres: MailStore.open(database:))
        var configuration = try MailConfiguration(allowedIssuers: environment.issuers)
        configuration.refusedAuditLimits = environment.refusedAuditLimits
        return MailService(store: store, audit: environment.audit, configuration: configuration,
                           resourceGuard: try environment.guardFor(resource), logger: environment.logger, now: environment.now)
    }

    /// The verification policy Keybound Mail expects: an RFC 9068 access token for `api://mail`.
    public static func policy(additionalChecks: [any TokenCheck] = []) -> VerificationPolicy {
        // The audience is a non-empty constant and the other values are defaults: this cannot throw.
        try! VerificationPolicy(audience: MailAPI.audience, additionalChecks: additionalChecks)
    }

    /// Adds Keybound Mail's routes, behind ``resourceGuard``, to `router`.
    public func register(on router: Router<ResourceRequestContext>) {
        MailRoutes(service: self, resourceGuard: resourceGuard).register(on: resourceGuard.protect(router))
    }

    /// The router: `/health`, then bearer authentication on every route, each refusal and each
    /// served request recorded in the audit log. Every `GET` route also answers `HEAD` (RFC 9110
    /// §9.3.2, `HeadAnsweringRouter`): the same status and headers, no body; a `HEAD` is
    /// authenticated and audited as the read it is.
    public func router() -> HeadAnsweringRouter<MailRequestContext> { ResourceHost([self], audit: audit).router() }

    /// The application serving ``router()`` on `host`:`port`.
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        ResourceHost([self], audit: audit).application(host: host, port: port, serverName: "keybound-mail", logger: logger)
    }
}
