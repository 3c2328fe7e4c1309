import AsyncHTTPClient
import Foundation
import Hummingbird
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
import KeyboundResourceKit
import Logging
import ServiceLifecycle

/// Keybound Mail as a resource server of its own, trusting its issuers over HTTP as any validator
/// in another process must: keys from each issuer's discovery and JWKS (`RemoteTrustStore`),
/// key revocations and new keys over the key-event push channel, and token revocations over each
/// issuer's token-event stream where it holds server-client credentials. `keybound mail serve` and
/// the drill's mail edge are built here.
public struct RemoteMail: Sendable {
    /// The service; serve it with `MailService/application(host:port:logger:)`.
    public let service: MailService
    /// What it trusts, kept current by ``subscribers``.
    public let trust: RemoteTrustStore
    /// The key-event stream, then the token-event stream when any issuer has credentials: run them
    /// beside the service (a `ServiceGroup`), or on their own.
    public let subscribers: [any Service]
    /// The remote forgery check's settings (each issuer's state is in `/health`).
    public let issuanceCheck: RemoteIssuanceCheck

    /// Keybound Mail over `store` and `audit`, trusting `trust`'s issuers (loaded, or loading).
    ///
    /// - Parameters:
    ///   - store: the mailboxes.
    ///   - audit: where every access attempt is recorded.
    ///   - trust: the issuers trusted, with their keys, kept current by the key-event stream; its
    ///     `cache` (the one it evicts from on key revocations) is the service's verified-token cache.
    ///   - credentials: server-client credentials by issuer URL (exactly as trusted), for the
    ///     authenticated streams; an issuer without them has its token revocations unfollowed.
    ///   - issuanceCheck: the remote forgery check (on for every issuer that advertises an
    ///     issuance feed, unless skipped); an issuer it applies to needs credentials.
    ///   - logger: the service's and the streams' logger.
    ///   - alerts: where alerts of refused tokens are raised.
    ///   - now: the service's clock (audit times).
    ///   - clock: the verifier's clock.
    ///   - onKeyEvent: called for each key event received (after `trust` applied it).
    ///   - onTokenRevoked: called for each token revocation received (after the cache evicted it).
    public static func make(store: MailStore, audit: AuditLog, trust: RemoteTrustStore,
                            credentials: [String: StreamCredentials] = [:], issuanceCheck: RemoteIssuanceCheck = RemoteIssuanceCheck(),
                            logger: Logger, alerts: AlertCenter? = nil,
                            now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system,
                            onKeyEvent: @escaping @Sendable (KeyEventNotice) -> Void = { _ in },
                            onTokenRevoked: @escaping @Sendable (TokenEventNotice) -> Void = { _ in }) throws -> RemoteMail {
        try make(store: store, audit: audit, trust: trust, issuanceCheck: issuanceCheck, logger: logger, alerts: alerts, now: now,
                 resourceTrust: try RemoteResourceTrust.make(audience: MailAPI.audience, trust: trust, credentials: credentials,
                                                             issuanceCheck: issuanceCheck, clock: clock, onKeyEvent: onKeyEvent,
                                                             onTokenRevoked: onTokenRevoked))
    }

    /// As above, every stream and status call going through `client` (which must not follow
    /// redirects; the drill's, so that it can be shut down before the servers).
    package static func make(store: MailStore, audit: AuditLog, trust: RemoteTrustStore, client: HTTPClient,
                             credentials: [String: StreamCredentials], issuanceCheck: RemoteIssuanceCheck,
                             logger: Logger, alerts: AlertCenter?, now: @escaping @Sendable () -> Date,
                             clock: VerificationClock) throws -> RemoteMail {
        try make(store: store, audit: audit, trust: trust, issuanceCheck: issuanceCheck, logger: logger, alerts: alerts, now: now,
                 resourceTrust: try RemoteResourceTrust.make(audience: MailAPI.audience, trust: trust, client: client,
                                                             credentials: credentials, issuanceCheck: issuanceCheck, clock: clock))
    }

    /// A legacy validator, as one that predates the issuance feed: no credentials, no token-event
    /// stream, every issuer's issuance check skipped; otherwise as above.
    package static func makeLegacy(store: MailStore, audit: AuditLog, trust: RemoteTrustStore, client: HTTPClient,
                                   logger: Logger, alerts: AlertCenter?, now: @escaping @Sendable () -> Date,
                                   clock: VerificationClock) throws -> RemoteMail {
        try make(store: store, audit: audit, trust: trust, client: client, credentials: [:],
                 issuanceCheck: RemoteIssuanceCheck(skipped: trust.configuration.issuers.map(\.url)),
                 logger: logger, alerts: alerts, now: now, clock: clock)
    }

    /// Waits until every followed issuer whose issuance check is on has delivered its feed's
    /// backlog (the provider's `: caught up`; the ``subscribers`` must be running), at most
    /// `timeout`; returns the issuers not caught up. Until then that issuer's tokens would wait for
    /// their entries or be refused (`ledger_unavailable`), so a server opens its listener after
    /// this. (An issuer without credentials is never heard; it is not waited for.)
    public func waitForIssuanceFeeds(timeout: Duration) async -> [String] {
        guard let subscriber = subscribers.lazy.compactMap({ $0 as? TokenEventSubscriber }).first,
              subscriber.issuance != nil else { return [] }
        func unheard() -> [String] {
            subscriber.issuers.map(\.url).filter { issuer in
                issuanceCheck.state(of: issuer, in: trust) == .on && !subscriber.hasCaughtUp(issuer)
            }
        }
        let deadline = ContinuousClock.now + timeout
        while !unheard().isEmpty, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
        }
        return unheard()
    }

    /// The application serving the service on `host`:`port`; its `/health` shows each trusted
    /// issuer's issuance check (`on`, `skipped` or `not_advertised`).
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let trust = self.trust, issuanceCheck = self.issuanceCheck
        return ResourceHost([service], audit: service.audit, health: {
            JSONObject(["issuance_check": .object(issuanceCheck.health(trust))])
        }).application(host: host, port: port, serverName: "keybound-mail", logger: logger)
    }

    private static func make(store: MailStore, audit: AuditLog, trust: RemoteTrustStore, issuanceCheck: RemoteIssuanceCheck,
                             logger: Logger, alerts: AlertCenter?, now: @escaping @Sendable () -> Date,
                             resourceTrust: ResourceTrust) throws -> RemoteMail {
        let configuration = try MailConfiguration(allowedIssuers: Set(trust.configuration.issuers.map(\.url)))
        let service = MailService(store: store, audit: audit, configuration: configuration, trust: resourceTrust, alerts: alerts,
                                  logger: logger, now: now)
        return RemoteMail(service: service, trust: trust, subscribers: resourceTrust.subscribers, issuanceCheck: issuanceCheck)
    }
}
