import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// The token endpoint's grants end to end, in-process: what the tokens say, that each is in the
/// ledger before it is returned, and that one issuer's clients get nothing from another.
@Suite("Provider: token grants")
struct TokenGrantTests {
    @Test("client_credentials: an RFC 9068 application token with roles, tid and jti, verified by the issuer's own keys, in the ledger")
    func clientCredentials() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let body = try await ProviderFixture.clientCredentials(client, issuer: "contoso")
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["refresh_token"] == nil)
            let token = try #require(body["access_token"]?.stringValue)
            let policy = try VerificationPolicy(audience: "api://mail")
            let verified = try await TokenVerifier(trust: try fixture.context.manager.trustStore(), policy: policy).verify(token).get()
            #expect(verified.issuer == "https://id.keybound.test/contoso")
            #expect(verified.header["typ"] == .string("at+jwt"))
            #expect(verified.subject == "daemon")
            #expect(verified.clientID == "daemon")
            #expect(verified.roles == ["Mail.Read.All"])
            #expect(verified.tenantID == DevelopmentBootstrap.tenantID)
            #expect(verified.claims["scope"] == nil)
            let tokenID = try #require(verified.tokenID)
            let record = try #require(try fixture.store.issuance(issuerID: "contoso", tokenID: tokenID))
            #expect(record.kind == .access)
            #expect(record.keyID == verified.keyID)
            #expect(record.claimsDigest == Secrets.hexDigest(bytes: verified.payload))
            #expect(record.grantType == "client_credentials")
        }
    }

    @Test("a consumer realm issues no application token, even to a client its store holds a role for: it has no tenant-wide roles")
    func consumerRealmGrantsNoRoles() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        // The fixture's consumers daemon was stored with api://mail/Mail.Read.All, as an older store might hold.
        #expect(try fixture.store.client(issuerID: "consumers", clientID: "daemon")?.roles.isEmpty == false)
        try await fixture.app.test(.router) { client in
            for scope in ["api://mail/.default", "api://mail/Mail.Read.All"] {
                let response = try await ProviderFixture.post(client, "/consumers/token", [("grant_type", "client_credentials"), ("scope", scope)],
                                                              authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
                #expect(response.status == .badRequest, "\(scope)")
                let body = try ProviderFixture.json(response)
                #expect(body["error"] == .string("invalid_scope"))
                #expect(body["error_description"]?.stringValue?.contains("consumer realm") == true)
            }
        }
        #expect(try fixture.store.issuances(after: 0, limit: 1_000).filter { $0.issuerID == "consumers" }.isEmpty)
    }

    @Test("client_secret_post and private_key_jwt authenticate; a replayed assertion does not")
    func otherClientAuthentication() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let post = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "client_credentials"), ("scope", "api://mail/.default"), ("client_id", "poster"),
                ("client_secret", ProviderFixture.secret)])
            #expect(post.status == .ok)
            let key = try #require(fixture.assertionKeys["contoso"])
            let now = Date().timeIntervalSince1970.rounded(.down)
            let assertion = try TokenSigner(key: key).sign(claims: JSONObject([
                "iss": .string("signer"), "sub": .string("signer"), "aud": .string("https://id.keybound.test/contoso/token"),
                "exp": .number(now + 120), "iat": .number(now), "jti": .string(UUID().uuidString)]), type: "JWT")
            let parameters = [("grant_type", "client_credentials"), ("scope", "api://mail/.default"),
                              ("client_assertion_type", ClientAuthenticator.assertionType), ("client_assertion", assertion)]
            let first = try await ProviderFixture.post(client, "/contoso/token", parameters)
            #expect(first.status == .ok)
            let replay = try await ProviderFixture.post(client, "/contoso/token", parameters)
            #expect(replay.status == .unauthorized)
            #expect(try ProviderFixture.json(replay)["error"] == .string("invalid_client"))
        }
    }

    @Test("a client of contoso gets nothing from consumers's token endpoint, even with the same client id")
    func crossIssuer() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        // Give the contoso daemon a different secret: the consumers daemon keeps the fixture's.
        var consumerDaemon = try #require(try fixture.store.client(issuerID: "contoso", clientID: "daemon"))
        consumerDaemon.secretHash = Secrets.hexDigest("contoso-only-secret")
        try fixture.store.update(consumerDaemon)
        try await fixture.app.test(.router) { client in
            let response = try await ProviderFixture.post(client, "/consumers/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                          authorization: ProviderFixture.basic("daemon", "contoso-only-secret"))
            #expect(response.status == .unauthorized)
            #expect(try ProviderFixture.json(response)["error"] == .string("invalid_client"))
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let good = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                      authorization: ProviderFixture.basic("daemon", "contoso-only-secret"))
            #expect(good.status == .ok)
            let token = try #require(try ProviderFixture.json(good)["access_token"]?.stringValue)
            #expect(ProviderFixture.claims(token)["iss"] == .string("https://id.keybound.test/contoso"))
        }
    }

    @Test("authorization code + PKCE: access, ID and refresh tokens; the ID token carries nonce, sid and at_hash")
    func authorizationCode() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let body = try await ProviderFixture.codeFlow(client, issuer: "consumers")
            let access = ProviderFixture.claims(try #require(body["access_token"]?.stringValue))
            let id = ProviderFixture.claims(try #require(body["id_token"]?.stringValue))
            #expect(try #require(body["refresh_token"]?.stringValue).hasPrefix("kbr_"))
            #expect(access["sub"] == .string("consumers-user-subject"))
            #expect(access["scope"] == .string("openid profile email offline_access Mail.Read"))
            #expect(access["aud"] == .array([.string("api://mail"), .string("https://id.keybound.test/consumers")]))
            #expect(access["sid"] != nil)
            #expect(access["sid"] == id["sid"])
            #expect(id["aud"] == .string("web"))
            #expect(id["nonce"] == .string("n-456"))
            #expect(id["email"] == .string("user@consumers.example"))
            #expect(id["at_hash"] == .string(TokenMinter.leftHalfHash(try #require(body["access_token"]?.stringValue), algorithm: .es256)))
        }
    }

    @Test("refresh rotation: each refresh token works once; presenting a spent one revokes the whole chain")
    func refreshReuse() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let first = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let refresh1 = try #require(first["refresh_token"]?.stringValue)
            let rotated = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "refresh_token"), ("refresh_token", refresh1), ("client_id", "web")])
            #expect(rotated.status == .ok)
            let second = try ProviderFixture.json(rotated)
            let refresh2 = try #require(second["refresh_token"]?.stringValue)
            #expect(refresh2 != refresh1)
            let access2 = try #require(second["access_token"]?.stringValue)

            // An attacker replays the first (spent) refresh token.
            let reuse = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "refresh_token"), ("refresh_token", refresh1), ("client_id", "web")])
            #expect(reuse.status == .badRequest)
            #expect(try ProviderFixture.json(reuse)["error"] == .string("invalid_grant"))
            // The legitimate, newer refresh token is now dead too, and so is the access token issued with it.
            let after = try await ProviderFixture.post(client, "/contoso/token", [("grant_type", "refresh_token"), ("refresh_token", refresh2), ("client_id", "web")])
            #expect(after.status == .badRequest)
            let introspection = try await ProviderFixture.post(client, "/contoso/introspect", [("token", access2)],
                                                               authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            #expect(try ProviderFixture.json(introspection)["active"] == .bool(false))
            let jti = try #require(ProviderFixture.claims(access2)["jti"]?.stringValue)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: jti)?.reason == "refresh token reused")
        }
    }

    @Test("PKCE: a wrong verifier, plain, and a missing challenge all fail")
    func pkceFailures() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let login = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery())
            let code = try #require(ProviderFixture.redirectParameters(login)["code"])
            let wrong = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("code_verifier", String(repeating: "a", count: 43)), ("client_id", "web")])
            #expect(wrong.status == .badRequest)
            #expect(try ProviderFixture.json(wrong)["error"] == .string("invalid_grant"))

            let plain = try await client.execute(uri: "/contoso/authorize?" + ProviderFixture.authorizeQuery(challenge: ProviderFixture.verifier, method: "plain"), method: .get)
            #expect(plain.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(plain)["error"] == "invalid_request")
            #expect(ProviderFixture.redirectParameters(plain)["state"] == "st-123")

            let missing = try await client.execute(uri: "/contoso/authorize?response_type=code&client_id=web&redirect_uri=\(ProviderFixture.redirect)&scope=openid", method: .get)
            #expect(missing.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(missing)["error"] == "invalid_request")
        }
    }
}
