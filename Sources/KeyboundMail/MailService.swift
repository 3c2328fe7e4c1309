import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import Logging

/// Keybound Mail: the routes, the bearer middleware in front of them, and the audit log behind.
///
/// The verifier comes from a closure called per request, so trust can change while the service
/// runs: inside `keybound serve` it reads the provider's own key store, in `keybound mail serve`
/// a `RemoteTrustStore` kept current by the push channel.
public struct MailService: Sendable {
    /// Mailboxes and messages.
    public let store: MailStore
    /// Where every access attempt is recorded.
    public let audit: AuditLog
    /// Settings.
    public let configuration: MailConfiguration
    /// Verified tokens reused until their `exp` (at most 60 s), cleared per key on revocation.
    public let cache: VerifiedTokenCache?
    let verifier: @Sendable () async -> TokenVerifier
    /// Checks that may wait, run after the verifier (for example the issuance-ledger check).
    let onlineChecks: [any OnlineTokenCheck]
    let now: @Sendable () -> Date
    let logger: Logger
    let auditor: MailAuditor
    let onRejection: @Sendable (TokenRejection) -> Void
    /// Raises an alert for every refused token that shows a real key used where it does not belong.
    public let alerts: AlertCenter?

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
        self.store = store
        self.audit = audit
        self.configuration = configuration
        self.cache = cache
        self.verifier = verifier
        self.onlineChecks = onlineChecks
        self.now = now
        self.logger = logger
        self.onRejection = onRejection
        self.alerts = alerts
        self.auditor = MailAuditor(log: audit, now: now, logger: logger,
                                   gate: UnverifiedAuditGate(limits: configuration.refusedAuditLimits, now: now(),
                                                             onDrop: { MailMetrics.auditRecordDropped() }))
    }

    /// The verification policy Keybound Mail expects: an RFC 9068 access token for `api://mail`.
    public static func policy(additionalChecks: [any TokenCheck] = []) -> VerificationPolicy {
        // The audience is a non-empty constant and the other values are defaults: this cannot throw.
        try! VerificationPolicy(audience: MailAPI.audience, additionalChecks: additionalChecks)
    }

    /// The router: bearer authentication on every route, each refusal and each served request
    /// recorded in the audit log. Every `GET` route also answers `HEAD` (RFC 9110 §9.3.2,
    /// `HeadAnsweringRouter`): the same status and headers, no body; a `HEAD` is authenticated
    /// and audited as the read it is.
    public func router() -> HeadAnsweringRouter<MailRequestContext> { HeadAnsweringRouter(router(auditor: auditor)) }

    func router(auditor: MailAuditor) -> Router<MailRequestContext> {
        let router = Router(context: MailRequestContext.self)
        router.get("/health") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}"))) }
        let onRejection = self.onRejection
        let alerts = self.alerts
        let protected = router.group()
            .add(middleware: BearerAuthenticator<MailRequestContext>(
                realm: MailAPI.realm, required: true, cache: cache, verifier: verifier, onlineChecks: onlineChecks,
                onOutcome: { request, context, outcome in
                    guard let record = auditor.refusalRecord(request, context, outcome) else { return }
                    await auditor.appendUnverified(record)
                    guard let rejection = outcome.rejection else { return }
                    alerts?.raise(rejection, context: AlertContext(tokenID: record.tokenID, tenant: record.tenant, mailbox: record.mailbox,
                                                                   clientID: record.clientID, clientIP: record.clientIP))
                    onRejection(rejection)
                }))
        MailRoutes(service: self, auditor: auditor).register(on: protected)
        return router
    }

    /// The application serving ``router()`` on `host`:`port`.
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "keybound-mail"),
                    logger: logger)
    }
}
