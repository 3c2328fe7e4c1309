import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The console's operator-only forms that shape the deployment itself: a new issuer (on the home
/// page), a new resource and a new role on a resource (on an issuer's resources page). Each goes
/// through the admin API's own handler (``ConsoleAdminCall``) with ``AdminPermission/operatorOnly``,
/// so a tenant admin's post is 403 and is in the admin log as refused, like the API's.
extension ConsoleEndpoints {
    /// The optional lifecycle fields of the new-issuer form, sent to the admin API only when filled in.
    static let issuerSettingFields = ["rotation_period", "publish_lead_time", "maximum_token_lifetime", "maximum_key_age"]

    /// `POST /console/issuers`: a new tenant issuer or consumer realm, then its page.
    func createIssuer(_ signedIn: SignedIn, form: FormBody, logger: Logger) async throws -> Response {
        var body = JSONObject([
            "id": .string(form["id"]?.trimmingASCIISpaces ?? ""), "kind": .string(form["kind"] ?? ""),
            "algorithm": .string(form["algorithm"] ?? JWSAlgorithm.es256.rawValue),
        ])
        if let tenantID = form["tenant_id"]?.trimmingASCIISpaces, !tenantID.isEmpty { body["tenant_id"] = .string(tenantID) }
        for name in Self.issuerSettingFields {
            if let value = form[name]?.trimmingASCIISpaces, !value.isEmpty { body[name] = .string(value) }
        }
        let issuers = AdminIssuers(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.operatorOnly, logAs: "issuer.create", parameters: [], body: body) { request, route in
                try await issuers.create(request, route: route)
            }
        guard case .success(let created) = result, let id = created["id"]?.stringValue else {
            return back(result, signedIn: signedIn, to: "/console")
        }
        return ConsoleResponses.redirect(to: "/console/issuers/\(AdminResponse.segment(id))")
    }

    /// `POST /console/issuers/{issuer}/console-client`: registers the console's public client
    /// (``ConsoleResource/clientID``: PKCE, `authorization_code` and `refresh_token`, first-party so
    /// that no consent page is asked, the console's callback as its one redirect URI) at an issuer
    /// that has none, so that its console users can sign in; through the admin API's client
    /// creation, admin-logged as `client.create`.
    func enableConsoleSignIn(_ signedIn: SignedIn, issuerID: String, logger: Logger) async throws -> Response {
        let body = JSONObject([
            "client_id": .string(ConsoleResource.clientID), "name": .string("Keybound console"), "token_endpoint_auth_method": .string("none"),
            "grant_types": .array([.string("authorization_code"), .string("refresh_token")]), "first_party": .bool(true),
            "redirect_uris": .array([.string(DevelopmentBootstrap.consoleRedirectURI(context.configuration))]),
        ])
        let clients = AdminClients(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.manageDirectory, logAs: "client.create", parameters: [("issuer", issuerID)], body: body) { request, route in
                try await clients.create(request, issuerID: try route.issuer(), route: route)
            }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)")
    }

    /// `POST /console/issuers/{issuer}/resources`: registers a new resource. An audience the issuer
    /// already has is refused (409) rather than replaced, so the form never drops a resource's
    /// roles or server clients; roles are added one by one on the resource's row.
    func registerResource(_ signedIn: SignedIn, form: FormBody, issuerID: String, logger: Logger) async throws -> Response {
        let audience = form["audience"]?.trimmingASCIISpaces ?? ""
        let body = JSONObject([
            "audience": .string(audience), "scopes": .array(Self.words(form["scopes"]).map(JSONValue.string)),
            "roles": .array(Self.words(form["roles"]).map(JSONValue.string)),
        ])
        let resources = AdminResources(context: context)
        let store = context.store
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.operatorOnly, logAs: "resource.register", parameters: [("issuer", issuerID)], body: body) { request, route in
                let issuer = try route.issuer()
                if try await store.resource(issuerID: issuer, audience: audience) != nil {
                    throw OAuthError.conflict("issuer '\(issuer)' already has the resource '\(AdminBody.shown(audience))'; add roles on its row")
                }
                return try await resources.upsert(request, issuerID: issuer, route: route)
            }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/resources")
    }

    /// `POST /console/issuers/{issuer}/resources/{audience}/roles`: defines one more role on the resource.
    func addResourceRole(_ signedIn: SignedIn, form: FormBody, issuerID: String, audience: String, logger: Logger) async throws -> Response {
        let body = JSONObject(["audience": .string(audience), "role": .string(form["role"]?.trimmingASCIISpaces ?? "")])
        let resources = AdminResources(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.operatorOnly, logAs: "resource.role.add", parameters: [("issuer", issuerID)], body: body) { request, route in
                try await resources.addRole(request, issuerID: try route.issuer(), route: route)
            }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/resources")
    }
}
