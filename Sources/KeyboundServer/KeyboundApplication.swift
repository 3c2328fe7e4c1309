import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// Builds the Keybound HTTP application: health, metrics, and per issuer discovery, JWKS and the
/// OAuth 2 / OpenID Connect endpoints.
public enum KeyboundApplication {
    /// The router with every Keybound route.
    public static func router(context: ProviderContext) -> Router<ProviderRequestContext> {
        let router = Router(context: ProviderRequestContext.self)
        if context.configuration.metricsEnabled {
            // The scrape route first, so scrapes are not counted; then the request metrics.
            KeyboundMetrics.registerMetricsRoute(on: router)
            KeyboundMetrics.addMetricsMiddleware(to: router)
        }
        router.add(middleware: OAuthErrorMiddleware())
        router.get("/health") { _, _ in
            JSONResponse.make(JSONObject(["status": .string("ok")]), headers: [.cacheControl: "no-store"])
        }
        IssuerEndpoints(context: context).register(on: router)
        KeyEventStream(context: context).register(on: router)
        TokenEventStream(context: context).register(on: router)
        ProviderEndpoints(context: context).register(on: router)
        AdminEndpoints(context: context).register(on: router)
        return router
    }

    /// The application with the rotation service, listening as configured.
    public static func make(context: ProviderContext, logger: Logger) -> some ApplicationProtocol {
        let configuration = context.configuration
        return Application(
            router: router(context: context),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "keybound"),
            services: [RotationService(manager: context.manager, interval: configuration.rotationInterval, logger: logger,
                                       onChange: { context.keys.invalidate() })],
            logger: logger
        )
    }
}
