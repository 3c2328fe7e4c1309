import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) @testable import KeyboundServer
import KeyboundStore
import Testing

/// The admin API's one authorization layer: the admin token is an operator; a console user's
/// access token (audience `keybound://console`) is an operator in the operator issuer and a
/// tenant admin in a tenant issuer, checked as (issuer, role) on every route.
@Suite("Admin API: console tokens and (issuer, role) permissions")
struct AdminConsoleAuthorizationTests {
    static let adminToken = String(repeating: "k", count: 40)
    static let consoleScope = "openid \(ConsoleResource.audience)/\(ConsoleResource.accessScope)"

    /// ``ProviderFixture`` (consumers, contoso) with the admin API on, an operator issuer
    /// `operators` (user `root`, Console.Operator), a second tenant `fabrikam`, and tenant admins
    /// `tadmin` at contoso and fabrikam; contoso's `user` holds no role.
    struct Fixture {
        let base: ProviderFixture

        init(adminToken: String? = AdminConsoleAuthorizationTests.adminToken) async throws {
            base = try await ProviderFixture(adminToken: adminToken)
            let manager = base.context.manager
            let created = base.context.now().addingTimeInterval(-60)
            var operators = IssuerRecord(id: "operators", url: base.configuration.issuerURL("operators"), kind: .operator, createdAt: created)
            operators.algorithm = .es256
            try await manager.createIssuer(operators)
            try await manager.createIssuer(IssuerRecord(id: "fabrikam", url: base.configuration.issuerURL("fabrikam"), kind: .tenant,
                                                        tenantID: "fabrikam-tid", createdAt: created))
            let hash = PasswordHasher.hash(ProviderFixture.password, cost: 4)
            for (issuer, username, role) in [("operators", "root", ConsoleResource.operatorRole), ("contoso", "tadmin", ConsoleResource.tenantAdminRole),
                                             ("fabrikam", "tadmin", ConsoleResource.tenantAdminRole)] {
                try base.store.insert(UserRecord(issuerID: issuer, subject: "\(issuer)-\(username)", username: username, passwordHash: hash,
                                                 displayName: username, email: nil, createdAt: created,
                                                 roles: ["\(ConsoleResource.audience)/\(role)"]))
            }
            for issuer in ["operators", "fabrikam", "contoso"] {
                try base.store.insert(ClientRecord(issuerID: issuer, clientID: ConsoleResource.clientID, name: "Keybound console",
                                                   authenticationMethod: .none, redirectURIs: [ProviderFixture.redirect],
                                                   grantTypes: ["authorization_code", "refresh_token"], createdAt: created))
            }
        }

        /// Signs `username` in at `issuer` with the console's public client (or `clientID`) and PKCE,
        /// asking for `scope`; the token response.
        func tokens(_ client: some TestClientProtocol, issuer: String, username: String,
                    scope: String = AdminConsoleAuthorizationTests.consoleScope, clientID: String = ConsoleResource.clientID,
                    extra: [(String, String)] = []) async throws -> JSONObject {
            let query = ProviderFixture.authorizeQuery(clientID: clientID, scope: scope, extra: extra)
            let login = try await ProviderFixture.signIn(client, issuer: issuer, query: query, username: username)
            #expect(login.status == .seeOther)
            let code = try #require(ProviderFixture.redirectParameters(login)["code"])
            let response = try await ProviderFixture.post(client, "/\(issuer)/token", [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("code_verifier", ProviderFixture.verifier), ("client_id", clientID)])
            #expect(response.status == .ok)
            return try ProviderFixture.json(response)
        }

        func accessToken(_ client: some TestClientProtocol, issuer: String, username: String,
                         scope: String = AdminConsoleAuthorizationTests.consoleScope, clientID: String = ConsoleResource.clientID,
                         extra: [(String, String)] = []) async throws -> String {
            let body = try await tokens(client, issuer: issuer, username: username, scope: scope, clientID: clientID, extra: extra)
            return try #require(body["access_token"]?.stringValue)
        }
    }

    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String,
                     json: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    static func error(_ response: TestResponse) -> String? {
        (try? ProviderFixture.json(response))?["error"]?.stringValue
    }

    @Test("a console token carries the user's console role, in the access and the ID token")
    func rolesTravelInTokens() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let body = try await fixture.tokens(client, issuer: "contoso", username: "tadmin")
            let access = ProviderFixture.claims(try #require(body["access_token"]?.stringValue))
            #expect(access["aud"] == .string(ConsoleResource.audience) || access["aud"] == .array([.string(ConsoleResource.audience), .string(fixture.base.configuration.issuerURL("contoso"))]))
            #expect(access["roles"] == .array([.string("Console.TenantAdmin")]))
            let id = ProviderFixture.claims(try #require(body["id_token"]?.stringValue))
            #expect(id["roles"] == .array([.string("Console.TenantAdmin")]))
            // A user without a role gets no roles claim; a token for another resource carries no console role.
            let plain = ProviderFixture.claims(try await fixture.accessToken(client, issuer: "contoso", username: "user"))
            #expect(plain["roles"] == nil)
            let mail = ProviderFixture.claims(try await fixture.accessToken(client, issuer: "contoso", username: "tadmin",
                                                                            scope: "openid api://mail/Mail.Read"))
            #expect(mail["roles"] == nil)
        }
    }

    @Test("a tenant admin manages its own issuer, and gets 403 on another issuer's routes and on operator routes, with nothing changed")
    func tenantAdminStaysInItsTenant() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let token = try await fixture.accessToken(client, issuer: "contoso", username: "tadmin")
            #expect(try await Self.call(client, .get, "/admin/issuers/contoso/keys", token: token).status == .ok)
            #expect(try await Self.call(client, .get, "/admin/issuers/contoso/users", token: token).status == .ok)
            let created = try await Self.call(client, .post, "/admin/issuers/contoso/clients", token: token,
                                              json: #"{"client_id": "tenant-made", "name": "Made by the tenant admin", "token_endpoint_auth_method": "none", "redirect_uris": ["http://127.0.0.1:9/cb"], "grant_types": ["authorization_code"]}"#)
            #expect(created.status == .created, "\(String(buffer: created.body))")

            for (method, uri, json) in [
                (HTTPRequest.Method.get, "/admin/issuers/fabrikam/keys", nil as String?),
                (.get, "/admin/issuers/fabrikam", nil),
                (.get, "/admin/issuers/no-such-issuer", nil),
                (.post, "/admin/issuers/fabrikam/users", #"{"username": "intruder", "password": "correct horse battery staple"}"#),
                (.post, "/admin/issuers/fabrikam/keys/rotate", "{}"),
                (.get, "/admin/issuers", nil),
                (.get, "/admin/events", nil),
                (.get, "/admin/alerts", nil),
                (.post, "/admin/issuers", #"{"id": "evil", "url": "https://evil.test", "kind": "tenant", "tenant_id": "evil"}"#),
                (.post, "/admin/issuers/contoso/resources", #"{"audience": "api://x", "scopes": [], "roles": []}"#),
            ] {
                let response = try await Self.call(client, method, uri, token: token, json: json)
                #expect(response.status == .forbidden, "\(method) \(uri)")
                #expect(Self.error(response) == "insufficient_scope", "\(method) \(uri)")
            }
            #expect(try fixture.base.store.user(issuerID: "fabrikam", username: "intruder") == nil)
            #expect(try await fixture.base.context.manager.issuers().map(\.id).containsExactly("evil") == false)

            // Revocation is for operators only, even on the tenant's own key.
            let active = try #require(try await fixture.base.context.manager.keys(issuerID: "contoso").first { $0.state == .active && $0.purpose == .accessToken })
            let revoke = try await Self.call(client, .post, "/admin/issuers/contoso/keys/\(active.keyID)/revoke", token: token,
                                             json: #"{"reason": "tenant admin tries"}"#)
            #expect(revoke.status == .forbidden)
            #expect(try await fixture.base.context.manager.keys(issuerID: "contoso").first { $0.keyID == active.keyID }?.state == .active)

            // A rotation of its own issuer is open to it, and recorded under its name.
            let rotate = try await Self.call(client, .post, "/admin/issuers/contoso/keys/rotate", token: token, json: "{}")
            #expect(rotate.status == .ok, "\(String(buffer: rotate.body))")
            let events = try await fixture.base.context.manager.events()
            #expect(events.contains { $0.issuerID == "contoso" && $0.actor == "console:contoso/contoso-tadmin" })
        }
    }

    @Test("an operator's console token and the admin token reach every issuer")
    func operatorsReachEverything() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let token = try await fixture.accessToken(client, issuer: "operators", username: "root")
            for credential in [token, Self.adminToken] {
                for uri in ["/admin/issuers", "/admin/issuers/fabrikam/keys", "/admin/issuers/contoso/users", "/admin/events"] {
                    #expect(try await Self.call(client, .get, uri, token: credential).status == .ok, "\(uri)")
                }
            }
        }
    }

    @Test("refused: no console role, another audience, another issuer's key, a token not in the ledger, a role taken away, a disabled user")
    func refusals() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let keys = "/admin/issuers/contoso/keys"
            // A user of the tenant without the role.
            let plain = try await fixture.accessToken(client, issuer: "contoso", username: "user")
            let noRole = try await Self.call(client, .get, keys, token: plain)
            #expect(noRole.status == .forbidden && Self.error(noRole) == "insufficient_scope")
            // The tenant admin's token for Keybound Mail is not a console token.
            let mail = try await fixture.accessToken(client, issuer: "contoso", username: "tadmin", scope: "openid api://mail/Mail.Read")
            #expect(try await Self.call(client, .get, keys, token: mail).status == .unauthorized)
            // Only the console's own client is offered the console resource: another client of the
            // same issuer is refused at sign-in, by scope or by resource.
            for query in [ProviderFixture.authorizeQuery(clientID: "web", scope: Self.consoleScope),
                          ProviderFixture.authorizeQuery(clientID: "web", scope: "openid", extra: [("resource", ConsoleResource.audience)])] {
                let page = try await client.execute(uri: "/contoso/authorize?\(query)", method: .get)
                #expect(page.status == .seeOther || page.status == .found, "\(query)")
                #expect(ProviderFixture.redirectParameters(page)["error"] != nil, "\(query)")
            }
            // The console's token without the Console.Access scope (the resource alone) is refused.
            let unscoped = try await fixture.accessToken(client, issuer: "contoso", username: "tadmin", scope: "openid",
                                                         extra: [("resource", ConsoleResource.audience)])
            #expect(ProviderFixture.claims(unscoped)["aud"]?.arrayValue?.contains(.string(ConsoleResource.audience)) == true)
            let refusedUnscoped = try await Self.call(client, .get, keys, token: unscoped)
            #expect(refusedUnscoped.status == .forbidden && Self.error(refusedUnscoped) == "insufficient_scope")

            // Storm-0558: an operator token signed with contoso's key is refused; so is one signed
            // with the operator issuer's own key that the provider never issued.
            let root = ProviderFixture.claims(try await fixture.accessToken(client, issuer: "operators", username: "root"))
            for signerIssuer in ["contoso", "operators"] {
                let signer = try await fixture.base.context.keys.signer(issuerID: signerIssuer)
                var claims = root
                claims["jti"] = .string(UUID().uuidString)
                let header = JSONObject(["alg": .string(signer.key.algorithm.rawValue), "kid": .string(signer.key.keyID), "typ": .string("at+jwt")])
                let forged = try await signer.signedByCustodian(header: header, payload: JSONWriter().bytes(.object(claims)))
                let response = try await Self.call(client, .get, "/admin/issuers/fabrikam/keys", token: forged)
                #expect(response.status == .unauthorized, "signed by \(signerIssuer)")
                #expect(Self.error(response) == "invalid_token", "signed by \(signerIssuer)")
            }

            // Taking the role away, or disabling the user, ends access at the next request.
            let admin = try await fixture.accessToken(client, issuer: "contoso", username: "tadmin")
            #expect(try await Self.call(client, .get, keys, token: admin).status == .ok)
            let cleared = try await Self.call(client, .post, "/admin/issuers/contoso/users/tadmin/roles", token: Self.adminToken, json: #"{"roles": []}"#)
            #expect(cleared.status == .ok)
            #expect(try await Self.call(client, .get, keys, token: admin).status == .forbidden)
            let restored = try await Self.call(client, .post, "/admin/issuers/contoso/users/tadmin/roles", token: Self.adminToken,
                                               json: #"{"roles": ["keybound://console/Console.TenantAdmin"]}"#)
            #expect(restored.status == .ok)
            #expect(try await Self.call(client, .get, keys, token: admin).status == .ok)
            // A disabled console client ends its tokens' admin access too.
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/clients/keybound-console/disable", token: Self.adminToken, json: "{}").status == .ok)
            #expect(try await Self.call(client, .get, keys, token: admin).status == .unauthorized)
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/clients/keybound-console/enable", token: Self.adminToken, json: "{}").status == .ok)
            #expect(try await Self.call(client, .get, keys, token: admin).status == .ok)
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/users/tadmin/disable", token: Self.adminToken, json: "{}").status == .ok)
            #expect(try await Self.call(client, .get, keys, token: admin).status == .unauthorized)

            // The operator role cannot be granted in a tenant, nor the tenant admin role in the operator issuer.
            let wrong = try await Self.call(client, .post, "/admin/issuers/contoso/users/user/roles", token: Self.adminToken,
                                            json: #"{"roles": ["keybound://console/Console.Operator"]}"#)
            #expect(wrong.status == .badRequest && Self.error(wrong) == "invalid_settings")
            let wrongOperator = try await Self.call(client, .post, "/admin/issuers/operators/users", token: Self.adminToken,
                                                    json: #"{"username": "x", "password": "correct horse battery staple", "roles": ["keybound://console/Console.TenantAdmin"]}"#)
            #expect(wrongOperator.status == .badRequest && Self.error(wrongOperator) == "invalid_settings")
            #expect(try fixture.base.store.user(issuerID: "operators", username: "x") == nil)
        }
    }

    @Test("the admin log records each change and each refused attempt as (iss, sub), action, target, reason, outcome; a tenant admin reads only its own issuer's")
    func adminLog() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let tenant = try await fixture.accessToken(client, issuer: "contoso", username: "tadmin")
            let root = try await fixture.accessToken(client, issuer: "operators", username: "root")
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/keys/rotate", token: tenant, json: #"{"reason": "quarterly"}"#).status == .ok)
            #expect(try await Self.call(client, .post, "/admin/issuers/fabrikam/users/tadmin/disable", token: tenant, json: "{}").status == .forbidden)
            let active = try #require(try await fixture.base.context.manager.keys(issuerID: "fabrikam").first { $0.state == .active && $0.purpose == .accessToken })
            #expect(try await Self.call(client, .post, "/admin/issuers/fabrikam/keys/\(active.keyID)/revoke", token: root,
                                        json: #"{"reason": "key found on a build server"}"#).status == .ok)
            #expect(try await Self.call(client, .post, "/admin/issuers/contoso/users", token: Self.adminToken,
                                        json: #"{"username": "new-admin", "password": "correct horse battery staple"}"#).status == .created)
            // Reads are not recorded.
            #expect(try await Self.call(client, .get, "/admin/issuers/contoso/keys", token: tenant).status == .ok)

            let entries = try await fixture.base.context.store.adminLog(issuerID: nil, after: 0, limit: 100)
            let contosoURL = fixture.base.configuration.issuerURL("contoso")
            let operatorsURL = fixture.base.configuration.issuerURL("operators")
            #expect(entries.map(\.action.action) == ["key.rotate", "user.disable", "key.revoke", "user.create"])
            #expect(entries.map(\.action.outcome) == ["succeeded", "refused 403 insufficient_scope", "succeeded", "succeeded"])
            #expect(entries.map(\.action.actorIssuer) == [contosoURL, contosoURL, operatorsURL, "admin-token"])
            #expect(entries.map(\.action.actorSubject) == ["contoso-tadmin", "contoso-tadmin", "operators-root", "admin-api"])
            #expect(entries.map(\.action.issuerID) == ["contoso", "fabrikam", "fabrikam", "contoso"])
            #expect(entries.map(\.action.target) == ["", "tadmin", active.keyID, "new-admin"])
            #expect(entries.map(\.action.reason) == ["quarterly", "", "key found on a build server", ""])
            #expect(try await fixture.base.context.store.verifyAdminLog() == .intact(entries: 4))

            let own = try await Self.call(client, .get, "/admin/issuers/contoso/admin-log", token: tenant)
            #expect(own.status == .ok)
            let listed = try #require(try ProviderFixture.json(own)["entries"]?.arrayValue)
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0.objectValue?["issuer"] == .string("contoso") })
            #expect(try await Self.call(client, .get, "/admin/issuers/fabrikam/admin-log", token: tenant).status == .forbidden)
            #expect(try await Self.call(client, .get, "/admin/admin-log", token: tenant).status == .forbidden)
            let whole = try ProviderFixture.json(try await Self.call(client, .get, "/admin/admin-log", token: root))
            #expect(whole["chain"]?.objectValue?["intact"] == .bool(true))
            // The tenant admin's refused read of another issuer's log is not a change: still four entries.
            #expect(try await fixture.base.context.store.adminLog(issuerID: nil, after: 0, limit: 100).count == 4)
        }
    }

    @Test("with no admin token configured the API stays disabled, console tokens included")
    func disabledForConsoleTokens() async throws {
        let fixture = try await Fixture(adminToken: nil)
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let token = try await fixture.accessToken(client, issuer: "operators", username: "root")
            #expect(try await Self.call(client, .get, "/admin/issuers", token: token).status == .notFound)
        }
    }
}
