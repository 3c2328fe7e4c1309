import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundServer
import KeyboundStore
import Testing

/// Requests to the provider's endpoints that many suites send: introspection, userinfo,
/// revocation, refresh, and the authorization-code flow (one file, linked into the end-to-end tests).
enum ProviderRequests {
    static let daemon = ProviderFixture.basic("daemon", ProviderFixture.secret)

    static func introspect(_ client: some TestClientProtocol, _ token: String, issuer: String = "contoso") async throws -> JSONObject {
        let response = try await ProviderFixture.post(client, "/\(issuer)/introspect", [("token", token)], authorization: daemon)
        #expect(response.status == .ok)
        #expect(response.headers[.cacheControl] == "no-store")
        return try ProviderFixture.json(response)
    }

    static func isActive(_ client: some TestClientProtocol, _ token: String, issuer: String = "contoso") async throws -> Bool {
        let body = try await introspect(client, token, issuer: issuer)
        if body["active"] == .bool(false) { #expect(body.names == ["active"], "an inactive answer says nothing else") }
        return body["active"] == .bool(true)
    }

    static func userinfo(_ client: some TestClientProtocol, _ token: String, issuer: String = "contoso",
                         method: HTTPRequest.Method = .get) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer " + token]
        if method == .post { headers[.contentType] = "application/x-www-form-urlencoded" }
        return try await client.execute(uri: "/\(issuer)/userinfo", method: method, headers: headers, body: method == .post ? ByteBuffer() : nil)
    }

    static func activeKeyID(_ fixture: ProviderFixture, _ issuer: String = "contoso") async throws -> String {
        try await #require(try fixture.context.manager.keys(issuerID: issuer).first { $0.state == .active && $0.purpose == .accessToken }).keyID
    }

    static func revoke(_ client: some TestClientProtocol, _ token: String, as parameters: [(String, String)] = [("client_id", "web")],
                       authorization: String? = nil, hint: String? = nil, issuer: String = "contoso") async throws {
        var form = [("token", token)] + parameters
        if let hint { form.append(("token_type_hint", hint)) }
        let response = try await ProviderFixture.post(client, "/\(issuer)/revoke", form, authorization: authorization)
        #expect(response.status == .ok)
        #expect(response.body.readableBytes == 0)
    }

    static func refresh(_ client: some TestClientProtocol, _ token: String) async throws -> TestResponse {
        try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", "web")])
    }

    static func code(_ client: some TestClientProtocol, issuer: String = "contoso", clientID: String = "web",
                     scope: String = "openid offline_access api://mail/Mail.Read") async throws -> String {
        let login = try await ProviderFixture.signIn(client, issuer: issuer, query: ProviderFixture.authorizeQuery(clientID: clientID, scope: scope),
                                                     consent: clientID == "partner")
        #expect(login.status == .seeOther)
        return try #require(ProviderFixture.redirectParameters(login)["code"])
    }

    static func exchange(_ client: some TestClientProtocol, issuer: String = "contoso", code: String, clientID: String = "web",
                         redirect: String = ProviderFixture.redirect) async throws -> TestResponse {
        try await ProviderFixture.post(client, "/\(issuer)/token", [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect),
            ("code_verifier", ProviderFixture.verifier), ("client_id", clientID)])
    }

    static func expectInvalidGrant(_ response: TestResponse, _ comment: Comment? = nil) throws {
        #expect(response.status == .badRequest, comment)
        #expect(try ProviderFixture.json(response)["error"] == .string("invalid_grant"), comment)
        #expect(response.headers[.cacheControl] == "no-store")
    }
}
