import Foundation
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
package import KeyboundPostgres
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging

/// Keybound Mail running inside the provider's process (`keybound serve --with-mail`): it trusts
/// the provider's own issuers, reads their keys straight from the key store (a revocation made in
/// this process is seen by the next request; one made by another process within the key cache's
/// check interval), and empties its verified-token cache on every key event.
///
/// Token revocations made in this process (RFC 7009, refresh-token reuse, code replay) evict the
/// token from the verified-token cache as they commit, so the very next request with it is refused
/// (`token_revoked`, by the issuance-ledger check). One made by another process (an operator's
/// `keybound incident respond`) is refused at once for an uncached token and at the latest after
/// the cache's maximum age (60 s) for a cached one.
public enum ProviderMail {
    /// Keybound Mail over `mail.sqlite` and `audit.sqlite` in `directory`, trusting every issuer the
    /// provider runs now, with mailboxes for every user who has none.
    ///
    /// `ledgerCheck` (on by default) adds `IssuanceLedgerCheck`: a token must be in the issuance
    /// ledger with the same claims, so a forgery with a stolen key of the right issuer is refused
    /// (`token_not_issued`) rather than only found later by a hunt.
    ///
    /// `clock` is the verifier's clock (token expiry, key windows); a drill on simulated time passes
    /// the same clock as `now`.
    public static func service(context: ProviderContext, directory: URL, logger: Logger,
                               auditConfiguration: AuditConfiguration = AuditConfiguration(), ledgerCheck: Bool = true,
                               refusedAuditLimits: RefusedAuditLimits = RefusedAuditLimits(),
                               now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system,
                               onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in }) async throws -> MailService {
        try await service(context: context, store: try MailStore(directory: directory),
                          audit: try AuditLog(directory: directory, configuration: auditConfiguration), logger: logger,
                          ledgerCheck: ledgerCheck, refusedAuditLimits: refusedAuditLimits, now: now, clock: clock, onRejection: onRejection)
    }

    /// Keybound Mail with its mailboxes and audit log in `database` (PostgreSQL, shared by every
    /// node; its schema already migrated by the key store). The audit log is signed by the key
    /// store's sealed secret `audit-signing-key`, made by the first node that needs it, so every
    /// node signs the one chain with the same key.
    package static func service(context: ProviderContext, database: PostgresBackend, logger: Logger,
                                auditConfiguration: AuditConfiguration = AuditConfiguration(), ledgerCheck: Bool = true,
                                now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system) async throws -> MailService {
        let secret = try await context.manager.sealedSecret(.auditSigningKey) { AuditSigningKey.generatePrivateKeyBytes() }
        let audit = try await AuditLog.open(database: database, signingKey: try AuditSigningKey(privateKeyBytes: secret),
                                            configuration: auditConfiguration)
        return try await service(context: context, store: try await MailStore.open(database: database), audit: audit, logger: logger,
                                 ledgerCheck: ledgerCheck, now: now, clock: clock)
    }

    private static func service(context: ProviderContext, store: MailStore, audit: AuditLog, logger: Logger, ledgerCheck: Bool,
                                refusedAuditLimits: RefusedAuditLimits = RefusedAuditLimits(),
                                now: @escaping @Sendable () -> Date, clock: VerificationClock = .system,
                                onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in }) async throws -> MailService {
        let issuers = try await context.manager.issuers()
        var configuration = try MailConfiguration(allowedIssuers: Set(issuers.map(\.url)))
        configuration.refusedAuditLimits = refusedAuditLimits
        try await provisionMailboxes(context: context, store: store, now: now())
        let cache = VerifiedTokenCache()
        let keys = context.keys
        let issuerIDs = Dictionary(issuers.map { (ExactString($0.url), $0.id) }, uniquingKeysWith: { first, _ in first })
        let checks: [any OnlineTokenCheck] = ledgerCheck ? [IssuanceLedgerCheck(store: context.store, issuerIDs: { issuerIDs })] : []
        let issuerURLs = Dictionary(issuers.map { (ExactString($0.id), $0.url) }, uniquingKeysWith: { first, _ in first })
        context.store.tokenRevocations.observe { [weak cache] events in
            for event in events {
                guard let url = issuerURLs[ExactString(event.issuerID)] else { continue }
                cache?.invalidate(issuer: url, tokenID: event.tokenID)
            }
        }
        let trust = VersionedTrustVerifier(policy: MailService.policy(), cache: cache, clock: clock) {
            let current = try await keys.currentTrust()
            return (current.sequence, current.trust)
        }
        return MailService(store: store, audit: audit, configuration: configuration, cache: cache, logger: logger, now: now,
                           alerts: context.alerts, onRejection: onRejection, onlineChecks: checks, verifier: { await trust.verifier() })
    }

    /// Creates a mailbox (with the seed messages) for every user of every issuer who has none.
    /// The address is the user's email, or `<username>@<issuer id>.example`. Returns how many were created.
    @discardableResult
    public static func provisionMailboxes(context: ProviderContext, store: MailStore, now: Date) async throws -> Int {
        var created = 0
        // Every mailbox read once (one query at start, not one per user); an owner is (issuer, subject).
        let existing = Set(try await store.allMailboxes().map { [$0.issuer, $0.subject] })
        for issuer in try await context.manager.issuers() {
            for user in try await context.store.users(issuerID: issuer.id) {
                guard !existing.contains([issuer.url, user.subject]) else { continue }
                let mailbox = Mailbox(issuer: issuer.url, tenantID: context.tenantID(of: issuer), subject: user.subject,
                                      address: user.email ?? "\(user.username)@\(issuer.id).example",
                                      displayName: user.displayName, createdAt: now)
                try await store.provision(mailbox, messages: MailSeed.messages(for: mailbox, now: now))
                created += 1
            }
        }
        return created
    }
}
