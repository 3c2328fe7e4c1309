import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// Revocation (RFC 7009), userinfo (OIDC Core §5.3) and what revoking a signing key does to the
/// tokens it signed.
@Suite("Provider: revocation, userinfo and key revocation")
struct IntrospectRevokeUserinfoRevocationTests {
    typealias Calls = ProviderRequests

    @Test("a revoked access token is inactive and refused by userinfo; the record says why")
    func revokeAccessToken() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let access = try #require(tokens["access_token"]?.stringValue)
            #expect(try await Calls.userinfo(client, access).status == .ok)
            try await ProviderRequests.revoke(client, access, hint: "access_token")
            #expect(try await !Calls.isActive(client, access))
            let userinfo = try await Calls.userinfo(client, access)
            #expect(userinfo.status == .unauthorized)
            #expect(try ProviderFixture.json(userinfo)["error"] == .string("invalid_token"))
            #expect(userinfo.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
            let jti = try #require(ProviderFixture.claims(access)["jti"]?.stringValue)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: jti)?.reason == "revoked by the client (RFC 7009)")
            // Revoking again is a no-op 200.
            try await ProviderRequests.revoke(client, access)
        }
    }

    @Test("a revoked refresh token kills its chain: no refresh, and the access and ID tokens of the chain are inactive",
          arguments: [nil, "refresh_token", "access_token"])
    func revokeRefreshToken(hint: String?) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let first = try #require(tokens["refresh_token"]?.stringValue)
            let firstAccess = try #require(tokens["access_token"]?.stringValue)
            // Rotate once: the chain now has two access tokens and a live second refresh token.
            let rotated = try ProviderFixture.json(try await ProviderRequests.refresh(client, first))
            let second = try #require(rotated["refresh_token"]?.stringValue)
            let secondAccess = try #require(rotated["access_token"]?.stringValue)
            // A wrong hint is only a hint (RFC 7009 §2.1): the token is still found.
            try await ProviderRequests.revoke(client, second, hint: hint)
            let after = try await ProviderRequests.refresh(client, second)
            #expect(after.status == .badRequest)
            #expect(try ProviderFixture.json(after)["error"] == .string("invalid_grant"))
            for token in [firstAccess, secondAccess] { #expect(try await !Calls.isActive(client, token)) }
            #expect(try !fixture.isRefreshTokenLive(second))
            let idToken = try #require(rotated["id_token"]?.stringValue)
            let idJTI = try #require(ProviderFixture.claims(idToken)["jti"]?.stringValue)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: idJTI) != nil)
            #expect(try await Calls.userinfo(client, secondAccess).status == .unauthorized)
        }
    }

    @Test("revoking another client's token is a 200 that changes nothing")
    func otherClientsTokens() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let app = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let access = try #require(tokens["access_token"]?.stringValue)
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            try await ProviderRequests.revoke(client, app, as: [("client_id", "poster"), ("client_secret", ProviderFixture.secret)])
            try await ProviderRequests.revoke(client, app, as: [("client_id", "web")])
            try await ProviderRequests.revoke(client, access, as: [], authorization: Calls.daemon)
            try await ProviderRequests.revoke(client, access, as: [("client_id", "partner")])
            try await ProviderRequests.revoke(client, refresh, as: [("client_id", "partner")])
            try await ProviderRequests.revoke(client, refresh, as: [], authorization: Calls.daemon)
            #expect(try await Calls.isActive(client, app))
            #expect(try await Calls.isActive(client, access))
            #expect(try fixture.isRefreshTokenLive(refresh))
            #expect(try await ProviderRequests.refresh(client, refresh).status == .ok)
            // The owner can revoke its own application token.
            try await ProviderRequests.revoke(client, app, as: [], authorization: Calls.daemon)
            #expect(try await !Calls.isActive(client, app))
        }
    }

    @Test("userinfo releases claims by scope, over GET and POST", arguments: [
        ("openid profile email", ["sub", "tid", "name", "preferred_username", "email", "email_verified"]),
        ("openid email", ["sub", "tid", "email", "email_verified"]),
        ("openid profile", ["sub", "tid", "name", "preferred_username"]),
        ("openid", ["sub", "tid"]),
    ])
    func userinfoClaims(scope: String, names: [String]) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso", scope: scope)
            let access = try #require(tokens["access_token"]?.stringValue)
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await Calls.userinfo(client, access, method: method)
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try ProviderFixture.json(response)
                #expect(Set(body.names) == Set(names), "\(method) \(scope): \(body.names)")
                #expect(body["sub"] == .string("contoso-user-subject"))
                #expect(body["tid"] == .string(DevelopmentBootstrap.tenantID))
                if names.contains("name") {
                    #expect(body["name"] == .string("Test User"))
                    #expect(body["preferred_username"] == .string("user"))
                }
                if names.contains("email") { #expect(body["email"] == .string("user@contoso.example")) }
            }
        }
    }

    @Test("userinfo refuses a token without openid (its audience is only the API) and the token of a disabled user")
    func userinfoRefusals() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let apiOnly = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso", scope: "api://mail/Mail.Read")["access_token"]?.stringValue)
            let noOpenID = try await Calls.userinfo(client, apiOnly)
            #expect(noOpenID.status == .unauthorized)
            #expect(try ProviderFixture.json(noOpenID)["error"] == .string("invalid_token"))

            let access = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            var user = try #require(try fixture.store.user(issuerID: "contoso", username: "user"))
            user.isDisabled = true
            try fixture.store.update(user)
            let disabled = try await Calls.userinfo(client, access)
            #expect(disabled.status == .unauthorized)
            #expect(try ProviderFixture.json(disabled)["error"] == .string("invalid_token"))
        }
    }

    @Test("revoking the active key: its tokens are inactive at once, new tokens come from a fresh key, the other issuer is unaffected")
    func keyRevocation() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let app = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let user = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            let consumers = try #require(try await ProviderFixture.codeFlow(client, issuer: "consumers")["access_token"]?.stringValue)
            let oldKid = try await Calls.activeKeyID(fixture)
            #expect(try await Calls.isActive(client, app))

            try await fixture.context.manager.revoke(issuerID: "contoso", keyID: oldKid, reason: "compromised in a test", actor: "test", now: Date())
            #expect(try await !Calls.isActive(client, app))
            #expect(try await !Calls.isActive(client, user))
            #expect(try await Calls.userinfo(client, user).status == .unauthorized)
            #expect(try await Calls.isActive(client, consumers, issuer: "consumers"))

            let fresh = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let newKid = try #require(TokenInspection(token: fresh, now: Date()).header?["kid"]?.stringValue)
            #expect(newKid != oldKid)
            await #expect(newKid == (try Calls.activeKeyID(fixture)))
            #expect(try await Calls.isActive(client, fresh), "a token of the replacement key must verify at once")
            let jwks = String(buffer: try await client.execute(uri: "/contoso/jwks", method: .get).body)
            #expect(!jwks.contains(oldKid))
            #expect(jwks.contains(newKid))
        }
    }

    @Test("an issuer left without an active key answers 500 server_error JSON and issues nothing")
    func noActiveKey() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        // Tamper with the key store underneath the manager (no API leaves an issuer without an active key).
        try await fixture.context.manager.store.write { session in
            var key = try await #require(try session.keys(issuerID: "contoso").first { $0.state == .active && $0.purpose == .accessToken })
            key.state = .retired
            try await session.update(key)
            _ = try await session.appendEvent(issuerID: "contoso", keyID: key.keyID, kind: .retired, at: Date(), actor: "test", reason: "tampered")
        }
        try await fixture.app.test(.router) { client in
            let response = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                          authorization: Calls.daemon)
            #expect(response.status == .internalServerError)
            let body = try ProviderFixture.json(response)
            #expect(body["error"] == .string("server_error"))
            #expect(body["access_token"] == nil)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(try fixture.store.issuances(after: 0, limit: 100).filter { $0.issuerID == "contoso" }.isEmpty)
        }
    }
}
