import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// Redeeming the code the authorize endpoint issues: once, by the client it was issued to, with the
/// same redirect URI, at the same issuer, before it expires.
@Suite("Provider: authorize endpoint codes")
struct AuthorizeEndpointCodeTests {

    static func introspect(_ client: some TestClientProtocol, _ token: String, issuer: String = "contoso") async throws -> JSONObject {
        let response = try await ProviderFixture.post(client, "/\(issuer)/introspect", [("token", token)],
                                                      authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
        #expect(response.status == .ok)
        return try ProviderFixture.json(response)
    }

    @Test("a code works once; the second exchange fails and revokes everything the first produced")
    func singleUse() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let code = try await ProviderRequests.code(client)
            let first = try await ProviderRequests.exchange(client, code: code)
            #expect(first.status == .ok)
            let tokens = try ProviderFixture.json(first)
            let access = try #require(tokens["access_token"]?.stringValue)
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            #expect(try await Self.introspect(client, access)["active"] == .bool(true))

            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, code: code), "replayed code")
            #expect(try await Self.introspect(client, access)["active"] == .bool(false))
            #expect(try !fixture.isRefreshTokenLive(refresh))
            let idToken = try #require(tokens["id_token"]?.stringValue)
            let idJTI = try #require(ProviderFixture.claims(idToken)["jti"]?.stringValue)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: idJTI)?.reason == "authorization code replayed")
            let refreshed = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "web")])
            try ProviderRequests.expectInvalidGrant(refreshed, "refresh token of a replayed code")
            // A third attempt is still refused.
            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, code: code), "third attempt")
        }
    }

    @Test("a code issued to web cannot be redeemed by partner")
    func otherClient() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let code = try await ProviderRequests.code(client)
            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, code: code, clientID: "partner"))
            // The confidential daemon (which may use the code grant) cannot redeem it either.
            let other = try await ProviderRequests.code(client)
            let daemon = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "authorization_code"), ("code", other), ("redirect_uri", ProviderFixture.redirect),
                ("code_verifier", ProviderFixture.verifier)], authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            try ProviderRequests.expectInvalidGrant(daemon)
        }
    }

    @Test("a code with a different redirect_uri fails", arguments: [
        "http://127.0.0.1:8400/other", "http://127.0.0.1:8400/callback/", "http://localhost:8400/callback",
    ])
    func otherRedirect(redirect: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let code = try await ProviderRequests.code(client)
            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, code: code, redirect: redirect))
        }
    }

    @Test("a code of contoso means nothing at consumers")
    func otherIssuer() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let code = try await ProviderRequests.code(client, issuer: "contoso")
            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, issuer: "consumers", code: code))
            // Nothing was spent at contoso by the attempt.
            #expect(try await ProviderRequests.exchange(client, issuer: "contoso", code: code).status == .ok)
        }
    }

    @Test("an expired code fails; the same code unexpired works")
    func expired() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let now = Date()
        func record(_ code: String, expiresAt: Date) -> AuthorizationCodeRecord {
            AuthorizationCodeRecord(codeHash: Secrets.hexDigest(code), issuerID: "contoso", clientID: "web", subject: "contoso-user-subject",
                                    redirectURI: ProviderFixture.redirect, scope: "openid api://mail/Mail.Read", resource: "api://mail",
                                    codeChallenge: ProviderFixture.challenge, nonce: nil, sessionID: Secrets.uuid(),
                                    authTime: now.addingTimeInterval(-700), expiresAt: expiresAt)
        }
        try fixture.store.insert(record("expired-code", expiresAt: now.addingTimeInterval(-1)))
        try fixture.store.insert(record("live-code", expiresAt: now.addingTimeInterval(120)))
        try await fixture.app.test(.router) { client in
            let expired = try await ProviderRequests.exchange(client, code: "expired-code")
            try ProviderRequests.expectInvalidGrant(expired)
            #expect(try ProviderFixture.json(expired)["error_description"]?.stringValue?.contains("expired") == true)
            let live = try await ProviderRequests.exchange(client, code: "live-code")
            #expect(live.status == .ok)
            #expect(ProviderFixture.claims(try #require(try ProviderFixture.json(live)["access_token"]?.stringValue))["sub"]
                == .string("contoso-user-subject"))
        }
    }

    @Test("a code from a fixed-clock provider expires after the configured lifetime")
    func expiresWithClock() async throws {
        let start = Date(timeIntervalSince1970: 1_900_000_000)
        let early = try await ProviderFixture(now: start)
        defer { early.remove() }
        let lifetime = early.configuration.authorizationCodeLifetime
        // A second provider over the same store, later than the code's lifetime.
        let late = ProviderContext(manager: early.context.manager, store: early.context.store, configuration: early.configuration,
                                   now: { start.addingTimeInterval(lifetime + 1) })
        let code = try await early.app.test(.router) { client in try await ProviderRequests.code(client) }
        try await Application(router: KeyboundApplication.router(context: late)).test(.router) { client in
            try ProviderRequests.expectInvalidGrant(try await ProviderRequests.exchange(client, code: code))
        }
    }
}
