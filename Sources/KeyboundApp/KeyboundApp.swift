import Hummingbird
import KeyboundHummingbird
import KeyboundServer
import Logging

/// The composition root: the provider as Keybound ships it, with the admin routes of the modules
/// above the server (the hunt). `keybound serve`, the drill, the tests and the benchmarks build
/// the provider here, so that `KeyboundServer` itself depends on no resource, hunt or audit module.
public enum KeyboundApp {
    /// The provider's router (``KeyboundServer/KeyboundApplication/router(context:)``) with
    /// `GET /admin/hunt`.
    public static func router(context: ProviderContext) -> HeadAnsweringRouter<ProviderRequestContext> {
        KeyboundApplication.router(context: context, adminExtensions: adminExtensions(context))
    }

    /// The provider's application with its services (``KeyboundServer/KeyboundApplication/make(context:logger:)``)
    /// and `GET /admin/hunt`.
    public static func make(context: ProviderContext, logger: Logger) -> some ApplicationProtocol {
        KeyboundApplication.make(context: context, logger: logger, adminExtensions: adminExtensions(context))
    }

    static func adminExtensions(_ context: ProviderContext) -> [AdminExtensionRoute] {
        [AdminHunt(context: context).route]
    }
}
