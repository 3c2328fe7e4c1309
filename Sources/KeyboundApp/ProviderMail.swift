import Foundation
import Keybound
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
import KeyboundResourceKit
package import KeyboundPostgres
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging

/// Keybound Mail running inside the provider's process (`keybound serve --with-mail`): trust as
/// ``ProviderResourceTrust`` builds it, with mailboxes for every user who has none.
public enum ProviderMail {
    /// Keybound Mail over `mail.sqlite` and `audit.sqlite` in `directory`, trusting every issuer the
    /// provider runs now, with mailboxes for every user who has none.
    ///
    /// `ledgerCheck` (on by default) adds `IssuanceLedgerCheck` (see ``ProviderResourceTrust``).
    /// `clock` is the verifier's clock (token expiry, key windows); a drill on simulated time passes
    /// the same clock as `now`.
    public static func service(context: ProviderContext, directory: URL, logger: Logger,
                               auditConfiguration: AuditConfiguration = AuditConfiguration(), ledgerCheck: Bool = true,
                               refusedAuditLimits: RefusedAuditLimits = RefusedAuditLimits(),
                               now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system,
                               onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in }) async throws -> MailService {
        var environment = try await ProviderResources.environment(
            context: context, storage: .directory(directory), audit: try AuditLog(directory: directory, configuration: auditConfiguration),
            logger: logger, ledgerCheck: ledgerCheck, now: now, clock: clock, onRejection: onRejection)
        environment.refusedAuditLimits = refusedAuditLimits
        return try await open(environment, context: context)
    }

    /// Keybound Mail with its mailboxes and audit log in `database` (PostgreSQL, shared by every
    /// node; its schema already migrated by the key store), the audit log as
    /// ``ProviderResources/auditLog(context:database:configuration:)`` opens it.
    package static func service(context: ProviderContext, database: PostgresBackend, logger: Logger,
                                auditConfiguration: AuditConfiguration = AuditConfiguration(), ledgerCheck: Bool = true,
                                now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system) async throws -> MailService {
        let audit = try await ProviderResources.auditLog(context: context, database: database, configuration: auditConfiguration)
        let environment = try await ProviderResources.environment(context: context, storage: .postgres(database), audit: audit, logger: logger,
                                                                  ledgerCheck: ledgerCheck, now: now, clock: clock)
        return try await open(environment, context: context)
    }

    /// Keybound Mail opened in `environment`, with a mailbox for every user of `context` who has none.
    static func open(_ environment: ResourceEnvironment, context: ProviderContext) async throws -> MailService {
        let mail = try await MailService.open(environment)
        try await provisionMailboxes(context: context, store: mail.store, now: environment.now())
        return mail
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
