import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for an issuer's resources (protected APIs): their scopes, the roles they define
/// (grantable to clients and users) and their server clients.
/// A resource is looked up together with the issuer in the path; its audience is the last path
/// segment, percent-encoded (`api%3A%2F%2Fmail`).
struct AdminResources: Sendable {
    let context: ProviderContext

    var directory: DirectoryAdministration { DirectoryAdministration(manager: context.manager, store: context.store) }

    /// `GET /admin/issuers/{id}/resources`
    func list(issuerID: String) async throws -> Response {
        let issuer = try await context.manager.issuer(id: issuerID)
        let resources = try await context.store.resources(issuerID: issuer.id)
        return AdminResponse.make(JSONObject(["issuer": .string(issuer.id), "resources": .array(resources.map { .object(Self.render($0)) })]))
    }

    /// `GET /admin/issuers/{id}/resources/{audience}`
    func show(issuerID: String, audience: String) async throws -> Response {
        AdminResponse.make(Self.render(try await lookup(issuerID: issuerID, audience: audience)))
    }

    /// `POST /admin/issuers/{id}/resources`: registers a resource, or replaces one with that audience
    /// (201 when new, 200 when replaced).
    func upsert(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["audience", "scopes", "roles", "server_clients"])
        let issuer = try await context.manager.issuer(id: issuerID)
        let audience = try body.requiredString("audience")
        try AdminBody.checkLine(audience, "audience", limit: 512)
        let scopes = try body.strings("scopes") ?? []
        let roles = try body.strings("roles") ?? []
        for scope in scopes { try AdminBody.checkLine(scope, "scopes", limit: 128) }
        for role in roles where !DirectoryAdministration.isValidRoleName(role) {
            throw OAuthError.invalidRequest("a role name is 1–128 characters of A-Z, a-z, 0-9, '.', '_' and '-', not '\(AdminBody.shown(role))'")
        }
        let resource = ResourceRecord(issuerID: issuer.id, audience: audience, scopes: scopes, roles: roles,
                                      serverClients: try body.strings("server_clients") ?? [])
        let existed = try await context.store.resource(issuerID: issuer.id, audience: audience) != nil
        try await context.store.upsert(resource)
        context.directory.invalidate()
        route.audit(existed ? "resource replaced" : "resource registered",
                    ["issuer": "\(issuer.id)", "audience": "\(audience)", "server_clients": "\(resource.serverClients.joined(separator: " "))"])
        return AdminResponse.make(Self.render(resource), status: existed ? .ok : .created,
                                  location: "/admin/issuers/\(AdminResponse.segment(issuer.id))/resources/\(AdminResponse.segment(audience))")
    }

    /// `POST /admin/issuers/{id}/resources/roles`: defines a role on a resource (if not defined yet).
    func addRole(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["audience", "role"])
        let audience = try body.requiredString("audience")
        let role = try body.requiredString("role")
        let (resource, changed) = try await directory.addResourceRole(role, audience: audience, issuerID: issuerID)
        if changed {
            context.directory.invalidate()
            route.audit("resource role defined", ["issuer": "\(issuerID)", "audience": "\(audience)", "role": "\(role)"])
        }
        return AdminResponse.make(Self.render(resource))
    }

    /// `POST /admin/issuers/{id}/resources/{audience}/server-clients`: replaces the server clients only.
    func setServerClients(_ request: Request, issuerID: String, audience: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["server_clients"])
        guard let serverClients = try body.strings("server_clients") else {
            throw OAuthError.invalidRequest("the member 'server_clients' is required (an empty array removes every server client)")
        }
        var resource = try await lookup(issuerID: issuerID, audience: audience)
        resource.serverClients = serverClients
        try await context.store.upsert(resource)
        context.directory.invalidate()
        route.audit("resource server clients set", ["issuer": "\(resource.issuerID)", "audience": "\(resource.audience)",
                                                     "server_clients": "\(serverClients.joined(separator: " "))"])
        return AdminResponse.make(Self.render(resource))
    }

    /// The resource `audience` of issuer `issuerID`, or 404 (for an unknown issuer, too).
    func lookup(issuerID: String, audience: String) async throws -> ResourceRecord {
        let issuer = try await context.manager.issuer(id: issuerID)
        guard let resource = try await context.store.resource(issuerID: issuer.id, audience: audience) else {
            throw OAuthError.notFound("issuer '\(issuer.id)' has no resource '\(AdminBody.shown(audience))'")
        }
        return resource
    }

    /// A resource as the admin API shows it.
    static func render(_ resource: ResourceRecord) -> JSONObject { StoreJSON.json(resource) }
}
