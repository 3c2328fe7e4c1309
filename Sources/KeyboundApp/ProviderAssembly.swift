import Hummingbird
import KeyboundAudit
import KeyboundHummingbird
import KeyboundValidation
import KeyboundServer
import Logging

/// The composition root: the provider as Keybound ships it, with the admin routes of the modules
/// above the server (the hunt). `keybound serve`, the drill, the tests and the benchmarks build
/// the provider here, so that `KeyboundServer` itself depends on no resource, hunt or audit module.
public enum ProviderAssembly {
    /// The provider's router (`KeyboundApplication/router(context:)`) with
    /// `GET /admin/hunt`. `auditLog` is the in-process mail's log on PostgreSQL, which the hunt
    /// reads (on SQLite it reads `audit.sqlite` in the data directory).
    public static func router(context: ProviderContext, auditLog: AuditLog? = nil) -> HeadAnsweringRouter<ProviderRequestContext> {
        KeyboundApplication.router(context: context, adminExtensions: adminExtensions(context, auditLog))
    }

    /// The provider's application with its services (`KeyboundApplication/make(context:logger:)`)
    /// and `GET /admin/hunt` (see ``router(context:auditLog:)``).
    public static func make(context: ProviderContext, logger: Logger, auditLog: AuditLog? = nil) -> some ApplicationProtocol {
        KeyboundApplication.make(context: context, logger: logger, adminExtensions: adminExtensions(context, auditLog))
    }

    static func adminExtensions(_ context: ProviderContext, _ auditLog: AuditLog?) -> [AdminExtensionRoute] {
        [AdminHunt(context: context, sharedAuditLog: auditLog).route]
    }
}
