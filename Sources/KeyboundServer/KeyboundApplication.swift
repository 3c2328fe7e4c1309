import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore
import Logging
import ServiceLifecycle

/// Builds the Keybound HTTP application: health (`HealthEndpoints`) and per issuer discovery, JWKS and the OAuth 2 /
/// OpenID Connect endpoints on the public listener; `/metrics` on a listener of its own.
public enum KeyboundApplication {
    /// The router with every public Keybound route. Every `GET` route also answers `HEAD` (RFC 9110
    /// §9.3.2, `HeadAnsweringRouter`): status and headers of the `GET`, no body. It never serves
    /// `/metrics` (404 there): the scrape route is on ``metricsRouter()``, served on the metrics listener.
    public static func router(context: ProviderContext) -> HeadAnsweringRouter<ProviderRequestContext> {
        router(context: context, adminExtensions: [], consoleExtensions: [])
    }

    /// As ``router(context:)``, with the admin routes and console pages other modules add
    /// (`KeyboundApp`'s hunt and incidents).
    ///
    /// On the public listener (`surface` `.public`) the admin API and the console are served only
    /// when `admin.listen` is `public`; on the admin listener of their own (`.admin`) everything is.
    package static func router(context: ProviderContext, adminExtensions: [AdminExtensionRoute], consoleExtensions: [ConsoleExtension],
                               surface: Surface = .public) -> HeadAnsweringRouter<ProviderRequestContext> {
        let router = Router(context: ProviderRequestContext.self)
        if context.configuration.metricsEnabled {
            KeyboundMetrics.addMetricsMiddleware(to: router)
        }
        router.add(middleware: OAuthErrorMiddleware())
        HealthEndpoints(readiness: context.readiness).register(on: router)
        if surface == .admin || context.configuration.adminListener == .publicListener {
            AdminEndpoints(context: context, extensions: adminExtensions).register(on: router)
            // The console, with the admin API: disabled (404) unless an admin token is configured.
            if context.configuration.adminToken != nil { ConsoleEndpoints(context: context, extensions: consoleExtensions).register(on: router) }
        }
        registerIssuerRoutes(on: router, context: context)
        return HeadAnsweringRouter(router)
    }

    /// Every route under `/<issuer>/`, on one route group whose middleware resolves the issuer
    /// once (404 for no such issuer), and the RFC 8414 well-known location.
    static func registerIssuerRoutes(on router: Router<ProviderRequestContext>, context: ProviderContext) {
        let issuerRoutes = router.group(":issuer").add(middleware: IssuerResolution(context: context))
        let issuerEndpoints = IssuerEndpoints(context: context)
        issuerEndpoints.register(on: issuerRoutes)
        issuerEndpoints.registerInsertedWellKnown(on: router)
        KeyEventStream(context: context).register(on: issuerRoutes)
        TokenEventStream(context: context).register(on: issuerRoutes)
        TokenStatusEndpoint(context: context).register(on: issuerRoutes)
        ProviderEndpoints(context: context).register(on: issuerRoutes)
    }

    /// Which listener a router serves.
    package enum Surface: Sendable {
        /// The public listener: the issuers, and the admin API and console only when `admin.listen` is `public`.
        case `public`
        /// The admin listener of their own (`admin.listen` `HOST:PORT`): everything.
        case admin
    }

    /// The admin listener, when the admin API is enabled and `admin.listen` names a listener of its
    /// own: the admin API, the console and (for the console's live views) the issuers' routes.
    package static func adminApplication(context: ProviderContext, logger: Logger, adminExtensions: [AdminExtensionRoute],
                                         consoleExtensions: [ConsoleExtension]) -> (any Service)? {
        let configuration = context.configuration
        guard configuration.adminToken != nil, case .own(let host, let port) = configuration.adminListener else { return nil }
        return Application(router: router(context: context, adminExtensions: adminExtensions, consoleExtensions: consoleExtensions, surface: .admin),
                           configuration: .init(address: .hostname(host, port: port), serverName: "keybound-admin"), logger: logger)
    }

    /// The metrics listener's router: `GET /metrics` (Prometheus text format, and `HEAD`) and nothing else.
    public static func metricsRouter() -> HeadAnsweringRouter<BasicRequestContext> {
        let router = Router()
        KeyboundMetrics.registerMetricsRoute(on: router)
        return HeadAnsweringRouter(router)
    }

    /// The application with the rotation and pruning services (and, on a shared store, the writer
    /// of the shared alert log), listening as configured.
    public static func make(context: ProviderContext, logger: Logger) -> some ApplicationProtocol {
        make(context: context, logger: logger, adminExtensions: [], consoleExtensions: [])
    }

    /// As ``make(context:logger:)``, with the admin routes other modules add.
    package static func make(context: ProviderContext, logger: Logger, adminExtensions: [AdminExtensionRoute],
                             consoleExtensions: [ConsoleExtension]) -> some ApplicationProtocol {
        let configuration = context.configuration
        var services: [any Service] = [
            RotationService(manager: context.manager, interval: configuration.rotationInterval, logger: logger,
                            alerts: context.alerts, leadership: context.rotationLeadership, node: context.node, now: context.now,
                            onChange: { context.keys.invalidate() }),
            PruningService(store: context.store, interval: configuration.pruneInterval, logger: logger, now: context.now),
        ]
        if let sharedAlerts = context.sharedAlerts { services.append(SharedAlertLogService(log: sharedAlerts, logger: logger)) }
        return Application(
            router: router(context: context, adminExtensions: adminExtensions, consoleExtensions: consoleExtensions),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "keybound"),
            services: services,
            logger: logger
        )
    }

    /// The metrics listener, when metrics are on and a listener is configured.
    public static func metricsApplication(configuration: ServerConfiguration, logger: Logger) -> (any Service)? {
        guard configuration.metricsEnabled, let listener = configuration.metricsListener else { return nil }
        return Application(router: metricsRouter(),
                           configuration: .init(address: .hostname(listener.host, port: listener.port), serverName: "keybound-metrics"),
                           logger: logger)
    }
}
