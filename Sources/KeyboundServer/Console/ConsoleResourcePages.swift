import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The console's resources of one issuer: each resource's scopes, roles and server clients (the
/// clients of the issuer that may read its token-event stream, docs/remote-validation.md), and a
/// form to name the server clients. Open to operators and to the issuer's own tenant admins
/// (``AdminPermission/manageDirectory``); registering a resource or a role on it is for operators
/// (``ConsoleEndpoints/registerResource(_:form:issuerID:logger:)``).
extension ConsoleEndpoints {
    /// `GET /console/issuers/{issuer}/resources`.
    func resourcesPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        let rows: [[String: Any]] = try await context.store.resources(issuerID: issuer.id).enumerated().map { index, resource in
            [
                "audience": resource.audience, "scopes": resource.scopes.joined(separator: " "), "roles": resource.roles.joined(separator: " "),
                "serverClients": resource.serverClients.joined(separator: " "), "index": String(index),
                "path": "/console/issuers/\(issuer.id)/resources/\(AdminResponse.segment(resource.audience))",
            ]
        }
        return ConsoleResponses.page("resources", title: "Resources of \(issuer.id)", context: [
            "issuerID": issuer.id, "resources": rows, "hasResources": !rows.isEmpty, "csrfToken": signedIn.session.csrfToken,
            "canManage": signedIn.caller.may(.manageDirectory, issuerID: issuer.id),
            "canRegister": signedIn.caller.may(.operatorOnly, issuerID: issuer.id),
        ], viewer: signedIn.viewer)
    }

    /// `POST /console/issuers/{issuer}/resources/{audience}/server-clients`: replaces the resource's
    /// server clients (each must be a client of the issuer; the admin API checks).
    func setServerClients(_ signedIn: SignedIn, form: FormBody, issuerID: String, audience: String, logger: Logger) async throws -> Response {
        let resources = AdminResources(context: context)
        let clients = Self.words(form["server_clients"]).map(JSONValue.string)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.manageDirectory, logAs: "resource.server-clients.set", parameters: [("issuer", issuerID), ("audience", audience)],
                 body: JSONObject(["server_clients": .array(clients)])) { request, route in
                try await resources.setServerClients(request, issuerID: try route.issuer(), audience: try route.decoded("audience"), route: route)
            }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/resources")
    }
}
