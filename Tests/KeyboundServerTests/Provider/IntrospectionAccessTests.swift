import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// RFC 7662 §4 at `/<issuer>/introspect`: a client learns about its own tokens and about access
/// tokens of the audiences it serves (`server_clients`), and about nothing else.
@Suite("Provider: who may introspect what")
struct IntrospectionAccessTests {
    static let inactive = JSONObject(["active": .bool(false)])

    /// A second resource at contoso, `api://calendar`, with a client holding its role, and a client
    /// (`calendar-server`) that serves it. Returns calendar-server's secret.
    static func addCalendar(_ fixture: ProviderFixture) throws {
        let store = fixture.store
        let now = Date()
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "calendar-app", name: "Calendar app", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: ["client_credentials"],
                                      roles: [], createdAt: now))
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "calendar-server", name: "Calendar API", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: [], createdAt: now))
        try store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://calendar", scopes: ["Calendars.Read"], roles: ["Calendars.Read.All"],
                                        serverClients: ["calendar-server"]))
        var app = try #require(try store.client(issuerID: "contoso", clientID: "calendar-app"))
        app.roles = ["api://calendar/Calendars.Read.All"]
        try store.update(app)
        fixture.context.directory.invalidate()
    }

    static func token(_ client: some TestClientProtocol, _ clientID: String, scope: String, issuer: String = "contoso") async throws -> String {
        let grant = [("grant_type", "client_credentials"), ("scope", scope)]
        let response = clientID == "poster"
            ? try await ProviderFixture.post(client, "/\(issuer)/token", grant + [("client_id", clientID), ("client_secret", ProviderFixture.secret)])
            : try await ProviderFixture.post(client, "/\(issuer)/token", grant, authorization: ProviderFixture.basic(clientID, ProviderFixture.secret))
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try #require(try ProviderFixture.json(response)["access_token"]?.stringValue)
    }

    /// Introspects as `clientID` with its registered method (poster: client_secret_post; the others: Basic).
    static func introspect(_ client: some TestClientProtocol, _ token: String, as clientID: String, issuer: String = "contoso") async throws -> JSONObject {
        let response = clientID == "poster"
            ? try await ProviderFixture.post(client, "/\(issuer)/introspect", [("token", token), ("client_id", clientID),
                                                                              ("client_secret", ProviderFixture.secret)])
            : try await ProviderFixture.post(client, "/\(issuer)/introspect", [("token", token)],
                                             authorization: ProviderFixture.basic(clientID, ProviderFixture.secret))
        #expect(response.status == .ok)
        return try ProviderFixture.json(response)
    }

    @Test("a confidential client of the same issuer that neither owns nor serves gets exactly {\"active\": false}, as for garbage")
    func neitherOwnerNorServer() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let app = try await Self.token(client, "daemon", scope: "api://mail/.default")
            let user = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            for token in [app, user] {
                #expect(try await Self.introspect(client, token, as: "poster") == Self.inactive)
                #expect(try await Self.introspect(client, "not-a-token", as: "poster") == Self.inactive)
            }
            // The same through private_key_jwt: signer neither owns nor serves.
            let key = try #require(fixture.assertionKeys["contoso"])
            let assertion = try TokenSigner(key: key).sign(claims: JSONObject([
                "iss": .string("signer"), "sub": .string("signer"), "aud": .string("https://id.keybound.test/contoso"),
                "jti": .string(UUID().uuidString), "exp": .number(Date().timeIntervalSince1970 + 60)]), type: "JWT")
            let bySigner = try await ProviderFixture.post(client, "/contoso/introspect", [
                ("token", app), ("client_assertion_type", ClientAuthenticator.assertionType), ("client_assertion", assertion)])
            #expect(bySigner.status == .ok)
            #expect(try ProviderFixture.json(bySigner) == Self.inactive)
            // The owner and the server client of api://mail do see it.
            #expect(try await Self.introspect(client, app, as: "daemon")["active"] == .bool(true))
        }
    }

    @Test("a server client sees the access tokens of its audience, and only of its audience")
    func serverClientAudienceOnly() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try Self.addCalendar(fixture)
        try await fixture.app.test(.router) { client in
            let mailToken = try await Self.token(client, "poster", scope: "api://mail/.default")
            let calendarToken = try await Self.token(client, "calendar-app", scope: "api://calendar/.default")
            // calendar-server serves api://calendar: it sees that token, not the api://mail one.
            let seen = try await Self.introspect(client, calendarToken, as: "calendar-server")
            #expect(seen["active"] == .bool(true))
            #expect(seen["client_id"] == .string("calendar-app"))
            #expect(seen["aud"] == .string("api://calendar"))
            #expect(try await Self.introspect(client, mailToken, as: "calendar-server") == Self.inactive)
            // daemon serves api://mail: the other way round.
            #expect(try await Self.introspect(client, mailToken, as: "daemon")["active"] == .bool(true))
            #expect(try await Self.introspect(client, calendarToken, as: "daemon") == Self.inactive)
            // Taken off api://mail's server clients, daemon sees nothing of poster's token any more.
            try fixture.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                                            roles: ["Mail.Read.All"], serverClients: []))
            fixture.context.directory.invalidate()
            #expect(try await Self.introspect(client, mailToken, as: "daemon") == Self.inactive)
        }
    }

    @Test("a client of another issuer never learns anything: unknown at this issuer, and a same-named client sees no foreign token")
    func otherIssuerNever() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try store.insert(ClientRecord(issuerID: "consumers", clientID: "consumers-server", name: "Consumers API", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: [], createdAt: Date()))
        try store.upsert(ResourceRecord(issuerID: "consumers", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"], roles: ["Mail.Read.All"],
                                        serverClients: ["daemon", "consumers-server"]))
        try await fixture.app.test(.router) { client in
            let contosoToken = try await Self.token(client, "daemon", scope: "api://mail/.default")
            // A consumer realm issues no application tokens: consumers' daemon gets a user's token for api://mail.
            let consumersToken = try #require(try await ProviderFixture.codeFlow(client, issuer: "consumers", clientID: "daemon",
                                                                                 authorization: ProviderRequests.daemon)["access_token"]?.stringValue)
            // consumers-server exists only at consumers: at contoso it does not authenticate at all.
            let foreign = try await ProviderFixture.post(client, "/contoso/introspect", [("token", contosoToken)],
                                                         authorization: ProviderFixture.basic("consumers-server", ProviderFixture.secret))
            #expect(foreign.status == .unauthorized)
            #expect(try ProviderFixture.json(foreign)["error"] == .string("invalid_client"))
            // contoso's daemon has the same id as consumers' daemon, which owns consumersToken, and serves
            // api://mail at contoso: still nothing about a consumers token at contoso…
            #expect(try await Self.introspect(client, consumersToken, as: "daemon") == Self.inactive)
            // …nor about a contoso token at consumers.
            #expect(try await Self.introspect(client, contosoToken, as: "daemon", issuer: "consumers") == Self.inactive)
            #expect(try await Self.introspect(client, contosoToken, as: "consumers-server", issuer: "consumers") == Self.inactive)
            // Each at home.
            #expect(try await Self.introspect(client, consumersToken, as: "consumers-server", issuer: "consumers")["active"] == .bool(true))
            #expect(try await Self.introspect(client, contosoToken, as: "daemon")["active"] == .bool(true))
        }
    }

    @Test("a refresh token is introspectable by its own client only, not by the server client of its audience")
    func refreshTokensOwnClientOnly() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            // web's refresh token for api://mail: daemon serves api://mail, but it is not daemon's token.
            let web = try await ProviderFixture.codeFlow(client, issuer: "contoso")
            let webRefresh = try #require(web["refresh_token"]?.stringValue)
            #expect(try await Self.introspect(client, webRefresh, as: "daemon") == Self.inactive)
            #expect(try fixture.isRefreshTokenLive(webRefresh), "it is live; only the answer is withheld")
            // daemon's own refresh token: daemon sees it, poster does not.
            let own = try await ProviderFixture.codeFlow(client, issuer: "contoso", clientID: "daemon",
                                                         authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            let ownRefresh = try #require(own["refresh_token"]?.stringValue)
            #expect(try await Self.introspect(client, ownRefresh, as: "daemon")["token_type"] == .string("refresh_token"))
            #expect(try await Self.introspect(client, ownRefresh, as: "poster") == Self.inactive)
        }
    }
}
