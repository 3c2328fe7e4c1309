import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// Introspection (RFC 7662) of real, foreign and forged tokens. Revocation, userinfo and key
/// revocation are in ``IntrospectRevokeUserinfoRevocationTests``.
@Suite("Provider: introspection")
struct IntrospectRevokeUserinfoTests {
    static let contosoURL = "https://id.keybound.test/contoso"

    @Test("an active user access token: every field, and the kid of the key that signed it")
    func activeAccessToken() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let token = try #require(tokens["access_token"]?.stringValue)
            let claims = ProviderFixture.claims(token)
            let body = try await ProviderRequests.introspect(client, token)
            #expect(body["active"] == .bool(true))
            #expect(body["token_type"] == .string("Bearer"))
            #expect(body["scope"] == .string("openid profile email offline_access Mail.Read"))
            #expect(body["client_id"] == .string("web"))
            #expect(body["sub"] == .string("contoso-user-subject"))
            #expect(body["aud"] == .array([.string("api://mail"), .string(Self.contosoURL)]))
            #expect(body["iss"] == .string(Self.contosoURL))
            #expect(body["exp"] != nil && body["exp"] == claims["exp"])
            #expect((body["exp"]?.numberValue ?? 0) > Date().timeIntervalSince1970)
            #expect(body["jti"] != nil && body["jti"] == claims["jti"])
            #expect(body["tid"] == .string(DevelopmentBootstrap.tenantID))
            #expect(body["sid"] != nil && body["sid"] == claims["sid"])
            #expect(body["idtyp"] == .string("user"))
            let kid = try await ProviderRequests.activeKeyID(fixture)
            #expect(body["kid"] == .string(kid))
            #expect(TokenInspection(token: token, now: Date()).header?["kid"] == .string(kid))
        }
    }

    @Test("an application token: roles, the client as subject, the tenant id at contoso; poster (neither owner nor server client) sees it inactive")
    func applicationToken() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let body = try await ProviderRequests.introspect(client, token, issuer: "contoso")
            #expect(body["active"] == .bool(true))
            #expect(body["roles"] == .array([.string("Mail.Read.All")]))
            #expect(body["sub"] == .string("daemon"))
            #expect(body["client_id"] == .string("daemon"))
            #expect(body["aud"] == .string("api://mail"))
            #expect(body["scope"] == nil)
            #expect(body["idtyp"] == .string("app"))
            #expect(body["tid"] == .string(DevelopmentBootstrap.tenantID))
            await #expect(body["kid"] == .string(try ProviderRequests.activeKeyID(fixture, "contoso")))
            let byPoster = try await ProviderFixture.post(client, "/contoso/introspect", [
                ("token", token), ("client_id", "poster"), ("client_secret", ProviderFixture.secret)])
            #expect(byPoster.status == .ok)
            #expect(try ProviderFixture.json(byPoster) == JSONObject(["active": .bool(false)]))
        }
    }

    @Test("a refresh token introspects as refresh_token, to its own client only, until it is spent; the ID token is not an access token")
    func refreshToken() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            // daemon is confidential, so it can introspect the refresh tokens issued to it.
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso", clientID: "daemon", authorization: ProviderRequests.daemon)
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            let access = ProviderFixture.claims(try #require(tokens["access_token"]?.stringValue))
            let body = try await ProviderRequests.introspect(client, refresh)
            #expect(body["active"] == .bool(true))
            #expect(body["token_type"] == .string("refresh_token"))
            #expect(body["client_id"] == .string("daemon"))
            #expect(body["sub"] == .string("contoso-user-subject"))
            #expect(body["iss"] == .string(Self.contosoURL))
            #expect(body["scope"] == .string("openid profile email offline_access api://mail/Mail.Read"))
            #expect(body["sid"] == access["sid"])
            #expect((body["exp"]?.numberValue ?? 0) > (body["iat"]?.numberValue ?? .infinity))
            #expect(try await !ProviderRequests.isActive(client, try #require(tokens["id_token"]?.stringValue)))
            // Another confidential client of the issuer learns nothing about it.
            let byPoster = try await ProviderFixture.post(client, "/contoso/introspect", [
                ("token", refresh), ("client_id", "poster"), ("client_secret", ProviderFixture.secret)])
            #expect(try ProviderFixture.json(byPoster) == JSONObject(["active": .bool(false)]))

            let rotated = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "refresh_token"), ("refresh_token", refresh)], authorization: ProviderRequests.daemon)
            let next = try #require(try ProviderFixture.json(rotated)["refresh_token"]?.stringValue)
            #expect(try await !ProviderRequests.isActive(client, refresh), "a spent refresh token is inactive")
            #expect(try await ProviderRequests.isActive(client, next))
        }
    }

    @Test("tokens of consumers are inactive at contoso's introspection endpoint")
    func otherIssuer() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "consumers")
            for token in [tokens["access_token"]?.stringValue, tokens["refresh_token"]?.stringValue].compactMap({ $0 }) {
                #expect(try await !ProviderRequests.isActive(client, token, issuer: "contoso"))
            }
            // At its own issuer daemon sees the access token (one for the audience it serves); web's
            // refresh token is web's business only, and stays live.
            #expect(try await ProviderRequests.isActive(client, try #require(tokens["access_token"]?.stringValue), issuer: "consumers"))
            #expect(try fixture.isRefreshTokenLive(try #require(tokens["refresh_token"]?.stringValue), issuer: "consumers"))
            // And the other way round, for an application token (a consumer realm issues none).
            let app = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            #expect(try await !ProviderRequests.isActive(client, app, issuer: "consumers"))
            #expect(try await ProviderRequests.isActive(client, app, issuer: "contoso"))
        }
    }

    @Test("forgeries signed with the issuer's real key: a new jti, or the same jti with altered claims, are inactive")
    func forgeries() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let signer = await TokenSigner(key: try fixture.context.manager.signingKey(issuerID: "contoso"))
            let app = try #require(try await ProviderFixture.clientCredentials(client, issuer: "contoso")["access_token"]?.stringValue)
            let user = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            let appClaims = ProviderFixture.claims(app)
            let userClaims = ProviderFixture.claims(user)

            var newJTI = appClaims
            newJTI["jti"] = .string(Secrets.uuid())
            var extraRole = appClaims
            extraRole["roles"] = .array([.string("Mail.Read.All"), .string("Mail.Send.All")])
            var otherSubject = userClaims
            otherSubject["sub"] = .string("someone-else")
            var widerScope = userClaims
            widerScope["scope"] = .string("openid profile email offline_access Mail.Read Mail.Send")
            var shorter = appClaims
            shorter["exp"] = .number((appClaims["exp"]?.numberValue ?? 0) - 60)

            let type = ExpectedTokenType.accessToken.rawValue
            let forged = [try signer.sign(claims: newJTI, type: type), try signer.sign(claims: extraRole, type: type),
                          try signer.sign(claims: otherSubject, type: type), try signer.sign(claims: widerScope, type: type),
                          try signer.sign(claims: shorter, type: type)]
            let trust = try await fixture.context.manager.trustStore()
            for token in forged {
                // Each forgery is cryptographically perfect: only the ledger can tell.
                let audience = ProviderFixture.claims(token)["aud"]?.stringValue ?? "api://mail"
                #expect(throws: Never.self) { try TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: audience)).verify(token).get() }
                #expect(try await !ProviderRequests.isActive(client, token))
            }
            // The user-token forgeries are refused by userinfo too.
            for token in forged[2...3] {
                let response = try await ProviderRequests.userinfo(client, token)
                #expect(response.status == .unauthorized)
                #expect(try ProviderFixture.json(response)["error"] == .string("invalid_token"))
            }
            // A key that merely claims the real kid does not verify.
            let impostor = try await SigningKey.generate(algorithm: .es256, issuer: Self.contosoURL, keyID: try ProviderRequests.activeKeyID(fixture))
            #expect(try await !ProviderRequests.isActive(client, try TokenSigner(key: impostor).sign(claims: appClaims, type: type)))
            // The genuine tokens are untouched.
            #expect(try await ProviderRequests.isActive(client, app))
            #expect(try await ProviderRequests.isActive(client, user))
        }
    }
}
