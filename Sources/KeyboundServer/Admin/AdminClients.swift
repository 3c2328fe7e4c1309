import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for an issuer's OAuth clients. A client is always looked up together with the
/// issuer in the path, so another issuer's client is 404 here even with the same id.
/// The client secret is returned once, by the request that creates or rotates it; only its
/// SHA-256 is stored, and no other response shows either.
struct AdminClients: Sendable {
    let context: ProviderContext

    /// `GET /admin/issuers/{id}/clients`
    func list(issuerID: String) async throws -> Response {
        let issuer = try await context.manager.issuer(id: issuerID)
        let clients = try await context.store.clients(issuerID: issuer.id)
        return AdminResponse.make(JSONObject(["issuer": .string(issuer.id), "clients": .array(clients.map { .object(StoreJSON.json($0)) })]))
    }

    /// `GET /admin/issuers/{id}/clients/{client_id}`
    func show(issuerID: String, clientID: String) async throws -> Response {
        AdminResponse.make(StoreJSON.json(try await lookup(issuerID: issuerID, clientID: clientID)))
    }

    /// The operations shared with the CLI.
    var directory: DirectoryAdministration { DirectoryAdministration(manager: context.manager, store: context.store) }

    /// `POST /admin/issuers/{id}/clients`
    func create(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: [
            "client_id", "name", "token_endpoint_auth_method", "redirect_uris", "grant_types", "roles", "first_party", "jwks",
            "id_token_signed_response_alg",
        ])
        let clientID = try body.string("client_id")
        if let clientID, !ClientRecord.isValidClientID(clientID) {
            throw OAuthError.invalidRequest("a client id is 1–128 characters of a-z, A-Z, 0-9, '-' and '_'")
        }
        let name = try body.requiredString("name")
        try AdminBody.checkLine(name, "name")
        let methodName = try body.requiredString("token_endpoint_auth_method")
        guard let method = ClientRecord.AuthenticationMethod.allCases.first(where: { $0.rawValue.isExactly(methodName) }) else {
            let names = ClientRecord.AuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", ")
            throw OAuthError.invalidRequest("'token_endpoint_auth_method' must be one of \(names), not '\(AdminBody.shown(methodName))'")
        }
        guard let grantTypes = try body.strings("grant_types"), !grantTypes.isEmpty else {
            throw OAuthError.invalidRequest("the member 'grant_types' is required: one or more of \(ClientRecord.supportedGrantTypes.joined(separator: ", "))")
        }
        for grant in grantTypes where !ClientRecord.supportedGrantTypes.containsExactly(grant) {
            throw OAuthError.invalidRequest("unsupported grant type '\(AdminBody.shown(grant))'; one or more of \(ClientRecord.supportedGrantTypes.joined(separator: ", "))")
        }
        var new = DirectoryAdministration.NewClient(clientID: clientID, name: name, method: method, grantTypes: grantTypes)
        new.roles = try body.strings("roles") ?? []
        new.redirectURIs = try body.strings("redirect_uris") ?? []
        new.isFirstParty = try body.bool("first_party") ?? false
        if let keySet = try body.jsonObject("jwks") {
            guard method == .privateKeyJWT else { throw OAuthError.invalidSettings("'jwks' is only for private_key_jwt clients") }
            new.jwks = try Self.checkedKeySet(keySet)
        }
        let issuer = try await context.manager.issuer(id: issuerID)
        new.idTokenSignedResponseAlgorithm = try Self.idTokenAlgorithm(body.string("id_token_signed_response_alg"), issuer: issuer)
        let (client, secret) = try await directory.createClient(new, issuerID: issuerID, now: context.now())
        context.directory.invalidate()
        route.audit("client created", ["issuer": "\(client.issuerID)", "client_id": "\(client.clientID)", "method": "\(method.rawValue)"])
        var object = StoreJSON.json(client)
        if let secret { object["client_secret"] = .string(secret) }
        return AdminResponse.make(object, status: .created,
                                  location: "/admin/issuers/\(AdminResponse.segment(client.issuerID))/clients/\(AdminResponse.segment(client.clientID))")
    }

    /// `POST /admin/issuers/{id}/clients/{client_id}/roles`: grants roles (added to those held).
    func grantRoles(_ request: Request, issuerID: String, clientID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["roles"])
        guard let roles = try body.strings("roles"), !roles.isEmpty else {
            throw OAuthError.invalidRequest("the member 'roles' is required: one or more '<audience>/<role>'")
        }
        let client = try await directory.grantRoles(roles, issuerID: issuerID, clientID: clientID)
        context.directory.invalidate()
        route.audit("client roles granted", ["issuer": "\(issuerID)", "client_id": "\(clientID)", "roles": "\(roles.joined(separator: " "))"])
        return AdminResponse.make(StoreJSON.json(client))
    }

    /// `POST /admin/issuers/{id}/clients/{client_id}/secret`: a new secret, returned once; the old one stops working at once.
    func rotateSecret(_ request: Request, issuerID: String, clientID: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        let (client, secret) = try await directory.rotateSecret(issuerID: issuerID, clientID: clientID)
        context.directory.invalidate()
        route.audit("client secret rotated", ["issuer": "\(issuerID)", "client_id": "\(clientID)"])
        var object = StoreJSON.json(client)
        object["client_secret"] = .string(secret)
        return AdminResponse.make(object)
    }

    /// `POST /admin/issuers/{id}/clients/{client_id}/disable` and `…/enable`.
    func setDisabled(_ disabled: Bool, _ request: Request, issuerID: String, clientID: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        if disabled, case .tenantAdmin = route.caller, clientID.isExactly(ConsoleResource.clientID) {
            throw AdminLockout.refusal("disabling '\(ConsoleResource.clientID)' would shut every admin of this tenant out of the console, this one included")
        }
        let (client, changed) = try await directory.setClientDisabled(disabled, issuerID: issuerID, clientID: clientID)
        if changed {
            context.directory.invalidate()
            route.audit(disabled ? "client disabled" : "client enabled", ["issuer": "\(issuerID)", "client_id": "\(clientID)"])
        }
        return AdminResponse.make(StoreJSON.json(client))
    }

    /// The client `clientID` of issuer `issuerID`, or 404 (for an unknown issuer, too).
    func lookup(issuerID: String, clientID: String) async throws -> ClientRecord {
        try await directory.client(issuerID: issuerID, clientID: clientID)
    }

    /// `id_token_signed_response_alg`: absent for the default (RS256), else one of the algorithms
    /// the issuer signs ID tokens with (``IDTokenSigning/supportedAlgorithms(of:)``). A name that is
    /// no algorithm at all is `invalid_request` (the document's enum refuses it); an algorithm this
    /// issuer does not sign ID tokens with is `invalid_settings`.
    static func idTokenAlgorithm(_ name: String?, issuer: IssuerRecord) throws(OAuthError) -> JWSAlgorithm? {
        guard let name else { return nil }
        let supported = IDTokenSigning.supportedAlgorithms(of: issuer)
        guard let algorithm = JWSAlgorithm(headerValue: name) else {
            let names = JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw OAuthError.invalidRequest("'id_token_signed_response_alg' must be one of \(names), not '\(AdminBody.shown(name))'")
        }
        guard supported.contains(algorithm) else {
            throw OAuthError.invalidSettings("'id_token_signed_response_alg' must be one of \(supported.map(\.rawValue).joined(separator: ", ")) for issuer '\(issuer.id)', not '\(AdminBody.shown(name))'")
        }
        return algorithm
    }

    /// A `private_key_jwt` key set: public keys only, every key usable, at least one. Returned as JSON text.
    static func checkedKeySet(_ object: JSONObject) throws(OAuthError) -> String {
        let keySet: JWKSet
        do {
            keySet = try JWKSet(jsonObject: object)
        } catch {
            throw OAuthError.invalidSettings("'jwks' is not an acceptable key set: \(error)")
        }
        if let unusable = keySet.unusableKeys.first {
            throw OAuthError.invalidSettings("'jwks' key '\(AdminBody.shown(unusable.keyID))' is not usable: \(unusable.error)")
        }
        guard !keySet.keys.isEmpty else {
            throw OAuthError.invalidSettings("'jwks' has no usable key (each key needs a 'kid' and a supported type)")
        }
        return JSONWriter().string(.object(object))
    }
}
