import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// Hostile requests that need a live value (a signed assertion, a real refresh token) and so do
/// not fit ``MalformedRequestRows``.
@Suite("Provider: hostile client authentication and grant parameters")
struct MalformedRequestTableAuthTests {
    static let clientCredentials = [("grant_type", "client_credentials"), ("scope", "api://mail/.default")]

    /// RFC 6749 §2.3.1: the Basic user-id and password are form-urlencoded and must be form-*decoded*,
    /// not parsed as a form: `&` and `=` in them are data, not separators.
    @Test("Basic credentials are percent-decoded, never split as a form", arguments: [
        ("daemon&junk=1", ProviderFixture.secret),
        ("daemon", ProviderFixture.secret + "&junk=1"),
        ("daemon&daemon", ProviderFixture.secret),
        ("daemon", ProviderFixture.secret + "&"),
    ])
    func basicIsNotAForm(id: String, secret: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let response = try await ProviderFixture.post(client, "/contoso/token", Self.clientCredentials,
                                                          authorization: ProviderFixture.basic(id, secret))
            #expect(response.status == .unauthorized, "Basic '\(id)':'\(secret)' authenticated as daemon: \(String(buffer: response.body))")
            #expect(try ProviderFixture.json(response)["error"] == .string("invalid_client"))
        }
    }

    @Test("Basic credentials that are percent-encoded as RFC 6749 §2.3.1 asks still authenticate")
    func basicPercentEncoded() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let encoded = ProviderFixture.secret.replacingOccurrences(of: "_", with: "%5F").replacingOccurrences(of: "-", with: "%2D")
            let response = try await ProviderFixture.post(client, "/contoso/token", Self.clientCredentials,
                                                          authorization: ProviderFixture.basic("d%61emon", encoded))
            #expect(response.status == .ok)
        }
    }

    @Test("private_key_jwt: an assertion for contoso is refused at consumers; a long-lived or subject-less one anywhere")
    func assertions() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let now = Date().timeIntervalSince1970.rounded(.down)
            func assertion(issuer: String, audience: String, lifetime: Double = 120, subject: String? = "signer") throws -> String {
                var claims = JSONObject(["iss": .string("signer"), "aud": .string(audience), "exp": .number(now + lifetime),
                                         "iat": .number(now), "jti": .string(UUID().uuidString)])
                if let subject { claims["sub"] = .string(subject) }
                return try TokenSigner(key: try #require(fixture.assertionKeys[issuer])).sign(claims: claims, type: "JWT")
            }
            func post(_ issuer: String, _ assertion: String) async throws -> TestResponse {
                try await ProviderFixture.post(client, "/\(issuer)/token", Self.clientCredentials + [
                    ("client_assertion_type", ClientAuthenticator.assertionType), ("client_assertion", assertion)])
            }
            let contosoToken = "\(ProviderFixture.publicURL)/contoso/token"
            let refused = [
                ("consumers", try assertion(issuer: "contoso", audience: contosoToken)),
                ("consumers", try assertion(issuer: "consumers", audience: contosoToken)),
                ("contoso", try assertion(issuer: "contoso", audience: contosoToken, lifetime: 3_600)),
                ("contoso", try assertion(issuer: "contoso", audience: contosoToken, subject: nil)),
                ("contoso", try assertion(issuer: "contoso", audience: contosoToken, subject: "daemon")),
                ("contoso", try assertion(issuer: "contoso", audience: "https://elsewhere.example/token")),
                ("contoso", try assertion(issuer: "contoso", audience: contosoToken, lifetime: -120)),
            ]
            for (index, (issuer, token)) in refused.enumerated() {
                let response = try await post(issuer, token)
                #expect(response.status == .unauthorized, "case \(index): \(String(buffer: response.body))")
                #expect(try ProviderFixture.json(response)["error"] == .string("invalid_client"), "case \(index)")
            }
            // The control: a correct assertion works at its own issuer.
            #expect(try await post("contoso", try assertion(issuer: "contoso", audience: contosoToken)).status == .ok)
        }
    }

    @Test("refresh by another client fails and revokes the chain for its owner too")
    func refreshByAnotherClient() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            let stolen = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "partner")])
            #expect(stolen.status == .badRequest)
            #expect(try ProviderFixture.json(stolen)["error"] == .string("invalid_grant"))
            let owner = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "web")])
            #expect(owner.status == .badRequest)
            let access = try #require(tokens["access_token"]?.stringValue)
            let jti = try #require(ProviderFixture.claims(access)["jti"]?.stringValue)
            #expect(try fixture.store.revocation(issuerID: "contoso", tokenID: jti)?.reason == "refresh token presented by another client")
        }
    }

    /// An empty `scope=` on a refresh request is not "narrow to nothing": it either means the
    /// original grant (as if absent) or is refused. It must not silently shrink the chain to no scope.
    @Test("refresh with an empty scope parameter does not issue a scopeless token")
    func refreshWithEmptyScope() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let tokens = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let refresh = try #require(tokens["refresh_token"]?.stringValue)
            let response = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "web"), ("scope", "")])
            if response.status == .ok {
                let body = try ProviderFixture.json(response)
                #expect(body["scope"] == .string("openid profile email offline_access api://mail/Mail.Read"),
                        "an empty scope parameter narrowed the grant: \(String(buffer: response.body))")
            } else {
                #expect(response.status == .badRequest)
                #expect(try ProviderFixture.json(response)["error"] == .string("invalid_scope"))
            }
        }
    }
}
