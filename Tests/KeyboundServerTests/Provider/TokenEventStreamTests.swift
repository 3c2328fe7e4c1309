import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// `/<issuer>/token-events`: the issuance feed. Issued access tokens and their revocations for the
/// issuer's server clients, each only of the audiences it serves, resumable by the issuer's
/// token-event sequence.
@Suite("Provider: token event stream")
struct TokenEventStreamTests {
    static func events(_ response: TestResponse) -> [(id: Int64, event: String, data: JSONObject)] {
        KeyEventStreamTests.events(String(buffer: response.body))
    }

    static func get(_ client: some TestClientProtocol, _ issuer: String = "contoso", as clientID: String? = "daemon",
                    query: String = "follow=false", lastEventID: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let clientID { headers[.authorization] = ProviderFixture.basic(clientID, ProviderFixture.secret) }
        if let lastEventID { headers[HTTPField.Name("Last-Event-ID")!] = lastEventID }
        return try await client.execute(uri: "/\(issuer)/token-events?\(query)", method: .get, headers: headers)
    }

    static func revoke(_ client: some TestClientProtocol, _ token: String, as clientID: String, issuer: String = "contoso") async throws {
        let response = clientID == "poster"
            ? try await ProviderFixture.post(client, "/\(issuer)/revoke", [("token", token), ("client_id", clientID), ("client_secret", ProviderFixture.secret)])
            : try await ProviderFixture.post(client, "/\(issuer)/revoke", [("token", token)], authorization: ProviderFixture.basic(clientID, ProviderFixture.secret))
        #expect(response.status == .ok)
    }

    @Test("a server client receives the issuances and revocations of its audiences only, as public facts, numbered by the issuer's sequence")
    func audienceFiltered() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try IntrospectionAccessTests.addCalendar(fixture)
        try await fixture.app.test(.router) { client in
            let mail = try await IntrospectionAccessTests.token(client, "poster", scope: "api://mail/.default")
            let calendar = try await IntrospectionAccessTests.token(client, "calendar-app", scope: "api://calendar/.default")
            let mail2 = try await IntrospectionAccessTests.token(client, "daemon", scope: "api://mail/.default")
            try await Self.revoke(client, mail, as: "poster")
            try await Self.revoke(client, calendar, as: "calendar-app")
            try await Self.revoke(client, mail2, as: "daemon")

            let forDaemon = try await Self.get(client)
            #expect(forDaemon.status == .ok)
            #expect(forDaemon.headers[.contentType] == "text/event-stream")
            let daemonEvents = Self.events(forDaemon)
            // 1-3 the issuances, 4-6 the revocations; the calendar token's (2, 5) are not daemon's business.
            #expect(daemonEvents.map(\.id) == [1, 3, 4, 6])
            #expect(daemonEvents.map(\.event) == ["issued", "issued", "revoked", "revoked"])
            let issued = try #require(daemonEvents.first?.data)
            #expect(issued.names.sorted() == ["claims_digest", "exp", "iss", "jti", "sequence"])
            #expect(issued["jti"] == ProviderFixture.claims(mail)["jti"])
            #expect(issued["exp"] == ProviderFixture.claims(mail)["exp"])
            let mailJTI = try #require(ProviderFixture.claims(mail)["jti"]?.stringValue)
            let digest = try #require(try fixture.store.issuance(issuerID: "contoso", tokenID: mailJTI)?.claimsDigest)
            #expect(issued["claims_digest"] == .string(digest) && digest.utf8.count == 64)
            let first = try #require(daemonEvents.dropFirst(2).first?.data)
            #expect(first.names.sorted() == ["exp", "iss", "jti", "reason", "sequence"])
            #expect(first["jti"] == ProviderFixture.claims(mail)["jti"])
            #expect(first["exp"] == ProviderFixture.claims(mail)["exp"])
            #expect(first["iss"] == .string("https://id.keybound.test/contoso"))
            #expect(first["reason"] == .string("client_revocation"))
            #expect(!String(buffer: forDaemon.body).contains("revoked by the client"), "the stored free-text reason is not published")

            let forCalendar = try await Self.get(client, as: "calendar-server")
            #expect(Self.events(forCalendar).map(\.id) == [2, 5])
            // Resume after 1: 3, 4 and 6.
            let resumed = try await Self.get(client, lastEventID: "1")
            #expect(Self.events(resumed).map(\.id) == [3, 4, 6])
            let after = try await Self.get(client, query: "follow=false&after=6")
            #expect(Self.events(after).isEmpty)
            // The other issuer's stream has none of contoso's.
            #expect(Self.events(try await Self.get(client, "consumers")).isEmpty)
        }
    }

    @Test("no credentials, wrong credentials, another issuer's client: 401; a client that serves nothing: 403; bad resume point: 400")
    func refusals() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.insert(ClientRecord(issuerID: "consumers", clientID: "consumers-only", name: "Other", authenticationMethod: .clientSecretBasic,
                                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: [], createdAt: Date()))
        try await fixture.app.test(.router) { client in
            let anonymous = try await Self.get(client, as: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try ProviderFixture.json(anonymous)["error"] == .string("invalid_client"))
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let wrong = try await client.execute(uri: "/contoso/token-events?follow=false", method: .get,
                                                 headers: [.authorization: ProviderFixture.basic("daemon", "nope")])
            #expect(wrong.status == .unauthorized)
            #expect(try await Self.get(client, as: "consumers-only").status == .unauthorized)
            let notServing = try await Self.get(client, as: "calendar-nobody")
            #expect(notServing.status == .unauthorized)
            // poster is a confidential client of contoso that serves no resource.
            let poster = try await ProviderFixture.post(client, "/contoso/token-events?follow=false", [
                ("client_id", "poster"), ("client_secret", ProviderFixture.secret)])
            #expect(poster.status == .forbidden)
            #expect(try ProviderFixture.json(poster)["error"] == .string("unauthorized_client"))
            let bad = try await Self.get(client, lastEventID: "-4")
            #expect(bad.status == .badRequest)
            #expect(try await Self.get(client, "nobody").status == .notFound)
            // Off the server clients, daemon loses the stream.
            try fixture.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
            fixture.context.directory.invalidate()
            #expect(try await Self.get(client).status == .forbidden)
        }
    }

    @Test("private_key_jwt over POST; a fresh stream starts with every event of a token not yet expired")
    func privateKeyJWTAndStart() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                                        roles: ["Mail.Read.All"], serverClients: ["daemon", "signer"]))
        try await fixture.app.test(.router) { client in
            let token = try await IntrospectionAccessTests.token(client, "daemon", scope: "api://mail/.default")
            try await Self.revoke(client, token, as: "daemon")
            let key = try #require(fixture.assertionKeys["contoso"])
            let assertion = try TokenSigner(key: key).sign(claims: JSONObject([
                "iss": .string("signer"), "sub": .string("signer"), "aud": .string("https://id.keybound.test/contoso"),
                "jti": .string(UUID().uuidString), "exp": .number(Date().timeIntervalSince1970 + 60)]), type: "JWT")
            let form = [("client_assertion_type", ClientAuthenticator.assertionType), ("client_assertion", assertion)]
            let response = try await ProviderFixture.post(client, "/contoso/token-events?follow=false", form)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(Self.events(response).map(\.event) == ["issued", "revoked"])
            #expect(Self.events(response).map(\.id) == [1, 2])
            // The same assertion again is a replay.
            #expect(try await ProviderFixture.post(client, "/contoso/token-events?follow=false", form).status == .unauthorized)
        }
    }
}
