import Hummingbird
import Keybound
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
    /// Members `/health` adds beside `"status": "ok"` (for example each issuer's issuance check).
    public let health: @Sendable () -> JSONObject

    /// A host for `resources`, which all record in `audit`; `/health` adds what `health` gives.
    public init(_ resources: [any ProtectedResource], audit: AuditLog, health: @escaping @Sendable () -> JSONObject = { JSONObject() }) {
        self.resources = resources
        self.audit = audit
        self.health = health
    }

    /// The router.
    public func router() -> HeadAnsweringRouter<ResourceRequestContext> {
        let router = Router(context: ResourceRequestContext.self)
        let health = self.health
        router.get("/health") { _, _ in
            var document = JSONObject(["status": .string("ok")])
            for member in health().members { document[member.name] = member.value }
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: JSONWriter().string(.object(document)))))
        }
        for resource in resources { resource.register(on: router) }
        return HeadAnsweringRouter(router)
    }

    /// The application serving ``router()`` on `host`:`port`.
    public func application(host: String, port: Int, serverName: String = "keybound-resources", logger: Logger) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: serverName), logger: logger)
    }
}
