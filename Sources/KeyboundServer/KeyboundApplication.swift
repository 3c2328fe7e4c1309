import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// Builds the Keybound HTTP application: health, and per-issuer discovery and JWKS.
public enum KeyboundApplication {
    /// The router with every Keybound route.
    public static func router(manager: KeyManager, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in
            JSONResponse.make(JSONObject(["status": .string("ok")]), headers: [.cacheControl: "no-store"])
        }
        IssuerEndpoints(manager: manager, configuration: configuration).register(on: router)
        return router
    }

    /// The application with the rotation service, listening as configured.
    public static func make(manager: KeyManager, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(manager: manager, configuration: configuration),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "keybound"),
            services: [RotationService(manager: manager, interval: configuration.rotationInterval, logger: logger)],
            logger: logger
        )
    }
}
