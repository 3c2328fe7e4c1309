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
    func list(issuerID: String) throws -> Response {
        let issuer = try context.manager.issuer(id: issuerID)
        let clients = try context.store.clients(issuerID: issuer.id)
        return AdminResponse.make(JSONObject(["issuer": .string(issuer.id), "clients": .array(clients.map { .object(StoreJSON.json($0)) })]))
    }

    /// `GET /admin/issuers/{id}/clients/{client_id}`
    func show(issuerID: String, clientID: String) throws -> Response {
        AdminResponse.make(StoreJSON.json(try lookup(issuerID: issuerID, clientID: clientID)))
    }

    /// `POST /admin/issuers/{id}/clients`
    func create(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: [
            "client_id", "name", "token_endpoint_auth_method", "redirect_uris", "grant_types", "roles", "first_party", "jwks",
            "id_token_signed_response_alg",
        ])
        let issuer = try context.manager.issuer(id: issuerID)
        let clientID = try body.string("client_id") ?? Secrets.uuid()
        guard ClientRecord.isValidClientID(clientID) else {
            throw OAuthError.invalidRequest("a client id is 1–128 characters of a-z, A-Z, 0-9, '-' and '_'")
        }
        let name = try body.requiredString("name")
        try AdminBody.checkLine(name, "name")
        let methodName = try body.requiredString("token_endpoint_auth_method")
        guard let method = ClientRecord.AuthenticationMethod(rawValue: methodName) else {
            let names = ClientRecord.AuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", ")
            throw OAuthError.invalidRequest("'token_endpoint_auth_method' must be one of \(names), not '\(AdminBody.shown(methodName))'")
        }
        guard let grantTypes = try body.strings("grant_types"), !grantTypes.isEmpty else {
            throw OAuthError.invalidRequest("the member 'grant_types' is required: one or more of \(ClientRecord.supportedGrantTypes.joined(separator: ", "))")
        }
        let roles = try body.strings("roles") ?? []
        try checkRoles(roles, issuerID: issuer.id)

        var jwks: String?
        if let keySet = try body.jsonObject("jwks") {
            guard method == .privateKeyJWT else { throw OAuthError.invalidRequest("'jwks' is only for private_key_jwt clients") }
            jwks = try Self.checkedKeySet(keySet)
        }
        var secret: String?
        if method == .clientSecretBasic || method == .clientSecretPost { secret = Secrets.random256(prefix: "kbs_") }

        let redirectURIs = try body.strings("redirect_uris") ?? []
        let isFirstParty = try body.bool("first_party") ?? false
        let idTokenAlgorithm = try Self.idTokenAlgorithm(body.string("id_token_signed_response_alg"), issuer: issuer)
        var client = ClientRecord(
            issuerID: issuer.id, clientID: clientID, name: name, authenticationMethod: method,
            secretHash: secret.map { Secrets.hexDigest($0) }, jwks: jwks, redirectURIs: redirectURIs,
            grantTypes: grantTypes, roles: roles, isFirstParty: isFirstParty, createdAt: context.now())
        client.idTokenSignedResponseAlgorithm = idTokenAlgorithm
        try context.store.insert(client)
        context.directory.invalidate()
        route.audit("client created", ["issuer": "\(issuer.id)", "client_id": "\(clientID)", "method": "\(method.rawValue)"])
        var object = StoreJSON.json(client)
        if let secret { object["client_secret"] = .string(secret) }
        return AdminResponse.make(object, status: .created,
                                  location: "/admin/issuers/\(AdminResponse.segment(issuer.id))/clients/\(AdminResponse.segment(clientID))")
    }

    /// `POST /admin/issuers/{id}/clients/{client_id}/secret`: a new secret, returned once; the old one stops working at once.
    func rotateSecret(_ request: Request, issuerID: String, clientID: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        var client = try lookup(issuerID: issuerID, clientID: clientID)
        guard client.authenticationMethod == .clientSecretBasic || client.authenticationMethod == .clientSecretPost else {
            throw OAuthError.invalidRequest("client '\(clientID)' authenticates with \(client.authenticationMethod.rawValue) and has no secret")
        }
        let secret = Secrets.random256(prefix: "kbs_")
        client.secretHash = Secrets.hexDigest(secret)
        try context.store.update(client)
        context.directory.invalidate()
        route.audit("client secret rotated", ["issuer": "\(issuerID)", "client_id": "\(clientID)"])
        var object = StoreJSON.json(client)
        object["client_secret"] = .string(secret)
        return AdminResponse.make(object)
    }

    /// `POST /admin/issuers/{id}/clients/{client_id}/disable` and `…/enable`.
    func setDisabled(_ disabled: Bool, _ request: Request, issuerID: String, clientID: String, route: AdminRoute) async throws -> Response {
        _ = try await AdminBody.read(request, allowed: [])
        var client = try lookup(issuerID: issuerID, clientID: clientID)
        if client.isDisabled != disabled {
            client.isDisabled = disabled
            try context.store.update(client)
            context.directory.invalidate()
            route.audit(disabled ? "client disabled" : "client enabled", ["issuer": "\(issuerID)", "client_id": "\(clientID)"])
        }
        return AdminResponse.make(StoreJSON.json(client))
    }

    /// The client `clientID` of issuer `issuerID`, or 404 (for an unknown issuer, too).
    func lookup(issuerID: String, clientID: String) throws -> ClientRecord {
        let issuer = try context.manager.issuer(id: issuerID)
        guard let client = try context.store.client(issuerID: issuer.id, clientID: clientID) else {
            throw OAuthError.notFound("issuer '\(issuer.id)' has no client '\(AdminBody.shown(clientID))'")
        }
        return client
    }

    /// Every role must be `<audience>/<role>` of a resource registered with the issuer, and a
    /// consumer realm's clients hold none (``ClientRoles``).
    func checkRoles(_ roles: [String], issuerID: String) throws {
        let issuer = try context.manager.issuer(id: issuerID)
        do {
            try ClientRoles.check(roles, issuer: issuer, resources: try context.store.resources(issuerID: issuer.id))
        } catch where error.code == .invalidClient {
            throw OAuthError.invalidRequest(error.message)
        }
    }

    /// `id_token_signed_response_alg`: absent for the default (RS256), else one of the algorithms
    /// the issuer signs ID tokens with (``IDTokenSigning/supportedAlgorithms(of:)``).
    static func idTokenAlgorithm(_ name: String?, issuer: IssuerRecord) throws(OAuthError) -> JWSAlgorithm? {
        guard let name else { return nil }
        let supported = IDTokenSigning.supportedAlgorithms(of: issuer)
        guard let algorithm = JWSAlgorithm(headerValue: name), supported.contains(algorithm) else {
            throw OAuthError.invalidRequest("'id_token_signed_response_alg' must be one of \(supported.map(\.rawValue).joined(separator: ", ")) for issuer '\(issuer.id)', not '\(AdminBody.shown(name))'")
        }
        return algorithm
    }

    /// A `private_key_jwt` key set: public keys only, every key usable, at least one. Returned as JSON text.
    static func checkedKeySet(_ object: JSONObject) throws(OAuthError) -> String {
        let keySet: JWKSet
        do {
            keySet = try JWKSet(jsonObject: object)
        } catch {
            throw OAuthError.invalidRequest("'jwks' is not an acceptable key set: \(error)")
        }
        if let unusable = keySet.unusableKeys.first {
            throw OAuthError.invalidRequest("'jwks' key '\(AdminBody.shown(unusable.keyID))' is not usable: \(unusable.error)")
        }
        guard !keySet.keys.isEmpty else {
            throw OAuthError.invalidRequest("'jwks' has no usable key (each key needs a 'kid' and a supported type)")
        }
        return JSONWriter().string(.object(object))
    }
}
