import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The console's clients and users of one issuer: list, create, disable and enable, a client's new
/// secret (shown once, in the response to the form, never in a URL), a client's roles granted and
/// a user's roles set. Open to operators and to the issuer's own tenant admins
/// (``AdminPermission/manageDirectory``); every change goes through the admin API's handler
/// (``ConsoleAdminCall``) and so into the admin log.
extension ConsoleEndpoints {
    // MARK: Clients

    /// `GET /console/issuers/{issuer}/clients`.
    func clientsPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        let base = "/console/issuers/\(issuer.id)/clients/"
        let rows: [[String: Any]] = try await context.store.clients(issuerID: issuer.id).map { client in
            let path = base + AdminResponse.segment(client.clientID)
            var row: [String: Any] = [
                "clientID": client.clientID, "name": client.name, "method": client.authenticationMethod.rawValue,
                "grantTypes": client.grantTypes.joined(separator: " "), "roles": client.roles.joined(separator: " "),
                "status": client.isDisabled ? "disabled" : "enabled", "path": path,
                "toggle": client.isDisabled ? "enable" : "disable", "toggleLabel": client.isDisabled ? "Enable" : "Disable",
            ]
            if [.clientSecretBasic, .clientSecretPost].contains(client.authenticationMethod) { row["hasSecret"] = true }
            return row
        }
        return ConsoleResponses.page("clients", title: "Clients of \(issuer.id)", context: [
            "issuerID": issuer.id, "clients": rows, "csrfToken": signedIn.session.csrfToken,
            "canManage": signedIn.caller.may(.manageDirectory, issuerID: issuer.id),
        ], viewer: signedIn.viewer)
    }

    /// `POST /console/issuers/{issuer}/clients`: a new client; a confidential one's secret is shown once.
    func createClient(_ signedIn: SignedIn, form: FormBody, issuerID: String, logger: Logger) async throws -> Response {
        var body = JSONObject([
            "name": .string(form["name"]?.trimmingASCIISpaces ?? ""),
            "token_endpoint_auth_method": .string(form["token_endpoint_auth_method"] ?? ""),
            "grant_types": .array(ClientRecord.supportedGrantTypes.filter { form["grant_\($0)"] == "on" }.map(JSONValue.string)),
            "redirect_uris": .array(Self.lines(form["redirect_uris"]).map(JSONValue.string)),
            "roles": .array(Self.words(form["roles"]).map(JSONValue.string)),
        ])
        if let clientID = form["client_id"]?.trimmingASCIISpaces, !clientID.isEmpty { body["client_id"] = .string(clientID) }
        let clients = AdminClients(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.manageDirectory, logAs: "client.create", parameters: [("issuer", issuerID)], body: body) { request, route in
                try await clients.create(request, issuerID: try route.issuer(), route: route)
            }
        return secretOrBack(result, signedIn: signedIn, issuerID: issuerID, heading: "Client created")
    }

    /// `POST /console/issuers/{issuer}/clients/{client}/{disable|enable|secret|roles}`.
    func clientAction(_ signedIn: SignedIn, form: FormBody, issuerID: String, clientID: String, action: String, logger: Logger) async throws -> Response {
        let clients = AdminClients(context: context)
        let call = ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
        if action == "secret" {
            let result = await call.run(.manageDirectory, logAs: "client.secret.rotate", parameters: [("issuer", issuerID), ("client", clientID)]) { request, route in
                try await clients.rotateSecret(request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
            }
            return secretOrBack(result, signedIn: signedIn, issuerID: issuerID, heading: "New client secret")
        }
        let row = DirectoryRow(noun: "client", parameter: ("client", clientID), rolesAction: "client.roles.grant", setDisabled: { disable, request, route in
            try await clients.setDisabled(disable, request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        }, setRoles: { request, route in
            try await clients.grantRoles(request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        })
        return await change(row, action: action, form: form, signedIn: signedIn, call: call, issuerID: issuerID)
    }

    /// The secret page (shown once) when the answer carries a `client_secret`, else back to the list.
    private func secretOrBack(_ result: Result<JSONObject, OAuthError>, signedIn: SignedIn, issuerID: String, heading: String) -> Response {
        guard case .success(let object) = result, let secret = object["client_secret"]?.stringValue else {
            return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/clients")
        }
        return ConsoleResponses.page("secret", title: heading, context: [
            "heading": heading, "issuerID": issuerID, "clientID": object["client_id"]?.stringValue ?? "", "secret": secret,
        ], viewer: signedIn.viewer)
    }

    // MARK: Users

    /// `GET /console/issuers/{issuer}/users`.
    func usersPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        let rows: [[String: Any]] = try await context.store.users(issuerID: issuer.id).map { user in
            [
                "username": user.username, "name": user.displayName, "email": user.email ?? "", "roles": user.roles.joined(separator: " "),
                "status": user.isDisabled ? "disabled" : "enabled", "path": "/console/issuers/\(issuer.id)/users/\(AdminResponse.segment(user.username))",
                "toggle": user.isDisabled ? "enable" : "disable", "toggleLabel": user.isDisabled ? "Enable" : "Disable",
            ]
        }
        var roleChoices = ConsoleResource.role(of: issuer).map { ["\(ConsoleResource.audience)/\($0)"] } ?? []
        if issuer.kind == .tenant {
            roleChoices += try await context.store.resources(issuerID: issuer.id).flatMap { resource in resource.roles.map { "\(resource.audience)/\($0)" } }
        }
        return ConsoleResponses.page("users", title: "Users of \(issuer.id)", context: [
            "issuerID": issuer.id, "users": rows, "csrfToken": signedIn.session.csrfToken,
            "canManage": signedIn.caller.may(.manageDirectory, issuerID: issuer.id), "roleChoices": roleChoices.joined(separator: ", "),
        ], viewer: signedIn.viewer)
    }

    /// `POST /console/issuers/{issuer}/users`.
    func createUser(_ signedIn: SignedIn, form: FormBody, issuerID: String, logger: Logger) async throws -> Response {
        var body = JSONObject([
            "username": .string(form["username"]?.trimmingASCIISpaces ?? ""), "password": .string(form["password"] ?? ""),
            "roles": .array(Self.words(form["roles"]).map(JSONValue.string)),
        ])
        if let name = form["name"]?.trimmingASCIISpaces, !name.isEmpty { body["name"] = .string(name) }
        if let email = form["email"]?.trimmingASCIISpaces, !email.isEmpty { body["email"] = .string(email) }
        let users = AdminUsers(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.manageDirectory, logAs: "user.create", parameters: [("issuer", issuerID)], body: body) { request, route in
                try await users.create(request, issuerID: try route.issuer(), route: route)
            }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/users")
    }

    /// `POST /console/issuers/{issuer}/users/{username}/{disable|enable|roles}`.
    func userAction(_ signedIn: SignedIn, form: FormBody, issuerID: String, username: String, action: String, logger: Logger) async throws -> Response {
        let users = AdminUsers(context: context)
        let row = DirectoryRow(noun: "user", parameter: ("username", username), rolesAction: "user.roles.set", setDisabled: { disable, request, route in
            try await users.setDisabled(disable, request, issuerID: try route.issuer(), username: try route.decoded("username"), route: route)
        }, setRoles: { request, route in
            try await users.setRoles(request, issuerID: try route.issuer(), username: try route.decoded("username"), route: route)
        })
        let call = ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
        return await change(row, action: action, form: form, signedIn: signedIn, call: call, issuerID: issuerID)
    }

    // MARK: Shared

    /// A row of the clients or users page: what the admin log calls it, its route parameter, and the
    /// admin API's handlers for the changes both pages offer.
    struct DirectoryRow: Sendable {
        /// `client` or `user`: the admin log's action prefix, and the list page's path segment.
        let noun: String
        /// The route parameter naming the row (`client` or `username`) and its value.
        let parameter: (String, String)
        /// The admin log's action for the roles form.
        let rolesAction: String
        let setDisabled: @Sendable (Bool, Request, AdminRoute) async throws -> Response
        let setRoles: @Sendable (Request, AdminRoute) async throws -> Response
    }

    /// Disables, enables or sets the roles of `row` through the admin API, then back to the list;
    /// 404 for an action the page does not offer.
    func change(_ row: DirectoryRow, action: String, form: FormBody, signedIn: SignedIn, call: ConsoleAdminCall, issuerID: String) async -> Response {
        let parameters = [("issuer", issuerID), row.parameter]
        let result: Result<JSONObject, OAuthError>
        switch action {
        case "disable", "enable":
            let disable = action == "disable"
            result = await call.run(.manageDirectory, logAs: "\(row.noun).\(action)", parameters: parameters) { request, route in
                try await row.setDisabled(disable, request, route)
            }
        case "roles":
            let roles = Self.words(form["roles"]).map(JSONValue.string)
            result = await call.run(.manageDirectory, logAs: row.rolesAction, parameters: parameters,
                                    body: JSONObject(["roles": .array(roles)]), row.setRoles)
        default:
            return ConsoleResponses.message("Not found", "No such \(row.noun) action.", status: .notFound, viewer: signedIn.viewer)
        }
        return back(result, signedIn: signedIn, to: "/console/issuers/\(issuerID)/\(row.noun)s")
    }

    /// Back to `path` after a change, or the admin API's refusal as a page with its status.
    func back(_ result: Result<JSONObject, OAuthError>, signedIn: SignedIn, to path: String) -> Response {
        switch result {
        case .success: return ConsoleResponses.redirect(to: path)
        case .failure(let error): return ConsoleResponses.message("Refused", error.errorDescription, status: error.status, viewer: signedIn.viewer)
        }
    }

    /// The whitespace-separated words of a form field.
    static func words(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "," }).map(String.init)
    }

    /// The non-empty lines of a form field.
    static func lines(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingASCIISpaces }.filter { !$0.isEmpty }
    }
}
