import Foundation
import Keybound
import KeyboundAudit
import KeyboundFiles
import KeyboundMail
package import KeyboundPostgres
import KeyboundResourceKit
@_spi(Plumbing) import KeyboundServer
import KeyboundValidation
import Logging

/// The protected resources `keybound serve --with-mail` runs in the provider's process, side by
/// side on one listener (`ResourceHost`), all recording in one audit log and trusting the
/// provider's own issuers (``ProviderResourceTrust``).
///
/// To ship another resource, write it on `KeyboundResourceKit` and add it to ``shipped``.
public enum ProviderResources {
    /// The resources the provider runs, in this order.
    public static let shipped: [any ProtectedResource.Type] = [MailService.self, FilesService.self]

    /// The ``shipped`` resources, opened in `environment`; Keybound Mail with a mailbox for every
    /// user who has none.
    static func open(_ environment: ResourceEnvironment, context: ProviderContext) async throws -> [any ProtectedResource] {
        var opened: [any ProtectedResource] = []
        for type in shipped {
            let resource = try await type.open(environment)
            if let mail = resource as? MailService {
                try await ProviderMail.provisionMailboxes(context: context, store: mail.store, now: environment.now())
            }
            opened.append(resource)
        }
        return opened
    }

    /// The resources besides Keybound Mail (which the bootstrap registers with its server client)
    /// that `keybound serve`'s development bootstrap registers at each issuer.
    @_spi(Plumbing) public static var developmentResources: [DevelopmentBootstrap.Resource] {
        shipped.map { $0.resource }.filter { $0.audience != MailAPI.audience }.map {
            DevelopmentBootstrap.Resource(audience: $0.audience, scopes: $0.scopes, tenantRoles: $0.tenantRoles)
        }
    }

    /// Every resource over its file in `directory`, recording in `audit.sqlite` there.
    public static func host(context: ProviderContext, directory: URL, logger: Logger,
                            auditConfiguration: AuditConfiguration = AuditConfiguration()) async throws -> ResourceHost {
        let audit = try AuditLog(directory: directory, configuration: auditConfiguration)
        let environment = try await environment(context: context, storage: .directory(directory), audit: audit, logger: logger)
        return ResourceHost(try await open(environment, context: context), audit: audit)
    }

    /// Every resource over its tables in `database` (PostgreSQL, shared by every node; its schema
    /// already migrated by the key store), recording in the shared audit log.
    package static func host(context: ProviderContext, database: PostgresBackend, logger: Logger) async throws -> ResourceHost {
        let audit = try await auditLog(context: context, database: database)
        let environment = try await environment(context: context, storage: .postgres(database), audit: audit, logger: logger)
        return ResourceHost(try await open(environment, context: context), audit: audit)
    }

    /// The environment of resources in the provider's process: every issuer the provider runs now,
    /// its alerts, and trust from ``ProviderResourceTrust``.
    static func environment(context: ProviderContext, storage: ResourceStorage, audit: AuditLog, logger: Logger, ledgerCheck: Bool = true,
                            now: @escaping @Sendable () -> Date = { Date() }, clock: VerificationClock = .system,
                            onRejection: @escaping @Sendable (TokenRejection) -> Void = { _ in }) async throws -> ResourceEnvironment {
        let issuers = try await context.manager.issuers()
        return ResourceEnvironment(storage: storage, issuers: Set(issuers.map(\.url)), audit: audit, alerts: context.alerts, logger: logger,
                                   now: now) { description in
            try ProviderResourceTrust.make(context: context, issuers: issuers, audience: description.audience, ledgerCheck: ledgerCheck,
                                           clock: clock, onRejection: onRejection)
        }
    }

    /// The audit log in `database`, signed by the key store's sealed secret `audit-signing-key`,
    /// made by the first node that needs it, so every node signs the one chain with the same key.
    package static func auditLog(context: ProviderContext, database: PostgresBackend,
                                 configuration: AuditConfiguration = AuditConfiguration()) async throws -> AuditLog {
        let secret = try await context.manager.sealedSecret(.auditSigningKey) { AuditSigningKey.generatePrivateKeyBytes() }
        return try await AuditLog.open(database: database, signingKey: try AuditSigningKey(privateKeyBytes: secret), configuration: configuration)
    }
}
