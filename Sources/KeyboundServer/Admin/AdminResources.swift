import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for an issuer's resources (the audiences its tokens are for) and the roles they define.
struct AdminResources: Sendable {
    let context: ProviderContext

    var directory: DirectoryAdministration { DirectoryAdministration(manager: context.manager, store: context.store) }

    /// `GET /admin/issuers/{id}/resources`
    func list(issuerID: String) throws -> Response {
        let resources = try directory.resources(issuerID: issuerID)
        return AdminResponse.make(JSONObject(["issuer": .string(issuerID), "resources": .array(resources.map { .object(Self.json($0)) })]))
    }

    /// `POST /admin/issuers/{id}/resources/roles`: defines a role on a resource (if not defined yet).
    func addRole(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["audience", "role"])
        let audience = try body.requiredString("audience")
        let role = try body.requiredString("role")
        let (resource, changed) = try directory.addResourceRole(role, audience: audience, issuerID: issuerID)
        if changed {
            context.directory.invalidate()
            route.audit("resource role defined", ["issuer": "\(issuerID)", "audience": "\(audience)", "role": "\(role)"])
        }
        return AdminResponse.make(Self.json(resource))
    }

    /// A resource as the admin API shows it.
    static func json(_ resource: ResourceRecord) -> JSONObject {
        JSONObject([
            "audience": .string(resource.audience), "scopes": .array(resource.scopes.map(JSONValue.string)),
            "roles": .array(resource.roles.map(JSONValue.string)),
        ])
    }
}
