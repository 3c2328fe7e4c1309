import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// `POST /<issuer>/token-status` and the discovery fields of the issuance feed: a server client
/// learns whether the issuer issued a token of its audiences, and nothing about any other token.
@Suite("Provider: issuance status endpoint")
struct TokenStatusEndpointTests {
    static func status(_ client: some TestClientProtocol, _ jti: String?, issuer: String = "contoso", as clientID: String? = "daemon") async throws -> TestResponse {
        try await ProviderFixture.post(client, "/\(issuer)/token-status", jti.map { [("jti", $0)] } ?? [],
                                       authorization: clientID.map { ProviderFixture.basic($0, ProviderFixture.secret) })
    }

    @Test("issued, revoked and not issued, each only for the caller's audiences; discovery advertises the feed")
    func answers() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try IntrospectionAccessTests.addCalendar(fixture)
        try await fixture.app.test(.router) { client in
            let discovery = try ProviderFixture.json(try await client.execute(uri: "/contoso/.well-known/openid-configuration", method: .get))
            #expect(discovery["issuance_feed_endpoint"] == .string("https://id.keybound.test/contoso/token-events"))
            #expect(discovery["issuance_status_endpoint"] == .string("https://id.keybound.test/contoso/token-status"))

            let mail = try await IntrospectionAccessTests.token(client, "daemon", scope: "api://mail/.default")
            let calendar = try await IntrospectionAccessTests.token(client, "calendar-app", scope: "api://calendar/.default")
            let mailJTI = try #require(ProviderFixture.claims(mail)["jti"]?.stringValue)
            let issued = try ProviderFixture.json(try await Self.status(client, mailJTI))
            #expect(issued["status"] == .string("issued") && issued["jti"] == .string(mailJTI))
            #expect(issued["exp"] == ProviderFixture.claims(mail)["exp"])
            // The digest is the SHA-256 of the JWS payload the validator holds.
            let payload = try #require(Base64URL.decode(String(mail.split(separator: ".")[1])))
            let digest = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
            #expect(issued["claims_digest"] == .string(digest))

            // Another audience's token, an unknown jti, another issuer's: never issued, as far as daemon may know.
            let calendarJTI = try #require(ProviderFixture.claims(calendar)["jti"]?.stringValue)
            for jti in [calendarJTI, "no-such-token"] {
                #expect(try ProviderFixture.json(try await Self.status(client, jti))["status"] == .string("not_issued"))
            }
            #expect(try ProviderFixture.json(try await Self.status(client, calendarJTI, as: "calendar-server"))["status"] == .string("issued"))

            try await TokenEventStreamTests.revoke(client, mail, as: "daemon")
            let revoked = try ProviderFixture.json(try await Self.status(client, mailJTI))
            #expect(revoked["status"] == .string("revoked") && revoked["claims_digest"] == nil)
            #expect(revoked.names.sorted() == ["exp", "jti", "status"], "the operator's reason is never published")
        }
    }

    @Test("no credentials or wrong ones: 401; a client that serves nothing: 403; no jti: 400")
    func refusals() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            #expect(try await Self.status(client, "x", as: nil).status == .unauthorized)
            let wrong = try await ProviderFixture.post(client, "/contoso/token-status", [("jti", "x")],
                                                       authorization: ProviderFixture.basic("daemon", "nope"))
            #expect(wrong.status == .unauthorized)
            // poster (client_secret_post) is a confidential client of contoso that serves no resource.
            let poster = try await ProviderFixture.post(client, "/contoso/token-status", [
                ("jti", "x"), ("client_id", "poster"), ("client_secret", ProviderFixture.secret)])
            let posterError = try ProviderFixture.json(poster)["error"]
            #expect(poster.status == .forbidden && posterError == .string("unauthorized_client"))
            let missing = try await Self.status(client, nil)
            let missingError = try ProviderFixture.json(missing)["error"]
            #expect(missing.status == .badRequest && missingError == .string("invalid_request"))
            #expect(try await client.execute(uri: "/contoso/token-status", method: .get).status != .ok)
        }
    }
}
