import Foundation
import Hummingbird
import Keybound
import KeyboundServer
import KeyboundStore

/// The admin API's incident routes (operators only; docs/admin-api.md), beside the console's pages
/// and on the same ``IncidentDesk``, so a response started from either is one run:
/// - `POST /admin/issuers/{issuer}/keys/{kid}/respond` `{"reason": "…"}` opens the key's incident (or
///   finds the one open or closed for it), starts its remaining steps on this node and answers
///   202 with its state, `Location: /admin/incidents/{id}`; admin-logged as `incident.respond`;
/// - `GET /admin/incidents`: every incident, newest first;
/// - `GET /admin/incidents/{id}`: its state, steps and document names;
/// - `GET /admin/incidents/{id}/document?name=…`: one document, as stored.
struct AdminIncidents: Sendable {
    let desk: IncidentDesk

    /// The routes, for the admin API's extension point.
    var routes: [AdminExtensionRoute] {
        [
            AdminExtensionRoute(.post, "issuers/:issuer/keys/:kid/respond", logAs: "incident.respond") { request, route in
                try await respond(request, route: route)
            },
            AdminExtensionRoute(.get, "incidents") { _, _ in try await list() },
            AdminExtensionRoute(.get, "incidents/:incident") { _, route in
                AdminResponse.make(try await desk.state(try await desk.record(try route.decoded("incident")), documents: true))
            },
            AdminExtensionRoute(.get, "incidents/:incident/document") { request, route in
                try await document(request, id: try route.decoded("incident"))
            },
        ]
    }

    func respond(_ request: Request, route: AdminRoute) async throws -> Response {
        let issuerID = try route.issuer()
        let keyID = try route.decoded("kid")
        let reason = try await AdminBody.read(request, allowed: ["reason"]).revocationReason(noting: route.note)
        let issuer = try await desk.context.manager.issuer(id: issuerID)
        let record = try await desk.start(issuerID: issuer.id, keyID: keyID, reason: reason, actor: route.caller.actor, logger: route.logger)
        route.audit("incident response started", ["incident": "\(record.id)", "issuer": "\(issuer.id)", "kid": "\(keyID)"])
        return AdminResponse.make(try await desk.state(record, documents: true), status: .accepted, location: "/admin/incidents/\(record.id)")
    }

    func list() async throws -> Response {
        let rows = try await desk.all().reversed().map { JSONValue.object(desk.summary($0)) }
        return AdminResponse.make(JSONObject(["incidents": .array(rows)]))
    }

    func document(_ request: Request, id: String) async throws -> Response {
        let query = try FormBody.query(request)
        guard let name = query["name"], !name.isEmpty else { throw OAuthError.invalidRequest("the 'name' parameter is missing") }
        let text = try await desk.document(name, of: try await desk.record(id))
        var headers = HTTPFields()
        headers[.contentType] = name.hasSuffix(".json") ? "application/json" : "text/markdown; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
