import Hummingbird
import KeyboundAudit
import KeyboundHummingbird
import Logging
import NIOCore

/// Protected resources served side by side on one listener: `GET /health`, then each resource's
/// routes behind its own guard. Every `GET` route also answers `HEAD` (`HeadAnsweringRouter`).
public struct ResourceHost: Sendable {
    /// The resources, in the order they were listed.
    public let resources: [any ProtectedResource]
    /// The audit log they record in.
    public let audit: AuditLog

    /// A host for `resources`, which all record in `audit`.
    public init(_ resources: [any ProtectedResource], audit: AuditLog) {
        self.resources = resources
        self.audit = audit
    }

    /// The router.
    public func router() -> HeadAnsweringRouter<ResourceRequestContext> {
        let router = Router(context: ResourceRequestContext.self)
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
        for resource in resources { resource.register(on: router) }
        return HeadAnsweringRouter(router)
    }

    /// The application serving ``router()`` on `host`:`port`.
    public func application(host: String, port: Int, serverName: String = "keybound-resources", logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: serverName), logger: logger)
    }
}
