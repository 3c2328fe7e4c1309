import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) @testable import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Testing

/// The console's clients and users pages: a tenant admin manages its own issuer's directory
/// through the forms (a secret shown once, in the response, never in a URL), each change in the
/// admin log; another tenant's directory is 403 and unchanged.
@Suite("Console: clients and users")
struct ConsoleDirectoryTests {
    typealias Fixture = ConsoleSignInTests.Fixture
    typealias Actions = ConsoleKeyActionTests

    /// The text of the page's `<code class="secret">`.
    static func shownSecret(_ response: TestResponse) -> String? {
        let html = String(buffer: response.body)
        guard let start = html.range(of: "<code class=\"secret\">"), let end = html.range(of: "</code>", range: start.upperBound..<html.endIndex) else {
            return nil
        }
        return String(html[start.upperBound..<end.lowerBound])
    }

    @Test("a tenant admin creates a confidential client (its secret shown once, not in a URL), rotates its secret and disables it")
    func clients() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        let store = fixture.base.store
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let token = try await Actions.csrfToken(client, cookie: cookie)
            let page = try await Actions.get(client, "/console/issuers/contoso/clients", cookie: cookie)
            #expect(page.status == .ok && String(buffer: page.body).contains("<code>daemon</code>"))

            let fields = [("name", "Payroll"), ("client_id", "payroll"), ("token_endpoint_auth_method", "client_secret_basic"),
                          ("grant_client_credentials", "on"), ("roles", "api://mail/Mail.Read.All")]
            let refused = try await Actions.post(client, "/console/issuers/contoso/clients", cookie: cookie, fields)
            #expect(try refused.status == .forbidden && store.client(issuerID: "contoso", clientID: "payroll") == nil, "no CSRF token, no client")

            let created = try await Actions.post(client, "/console/issuers/contoso/clients", cookie: cookie, [("csrf_token", token)] + fields)
            #expect(created.status == .ok && created.headers[.location] == nil, "the secret is in the page, not behind a redirect")
            let secret = try #require(Self.shownSecret(created), "\(String(buffer: created.body))")
            let record = try #require(try store.client(issuerID: "contoso", clientID: "payroll"))
            #expect(record.secretHash == Secrets.hexDigest(secret) && record.grantTypes == ["client_credentials"]
                && record.roles == ["api://mail/Mail.Read.All"])
            #expect(created.headers[.cacheControl] == "no-store")

            let rotated = try await Actions.post(client, "/console/issuers/contoso/clients/payroll/secret", cookie: cookie, [("csrf_token", token)])
            let newSecret = try #require(Self.shownSecret(rotated))
            #expect(try newSecret != secret && store.client(issuerID: "contoso", clientID: "payroll")?.secretHash == Secrets.hexDigest(newSecret))

            let disabled = try await Actions.post(client, "/console/issuers/contoso/clients/payroll/disable", cookie: cookie, [("csrf_token", token)])
            #expect(try disabled.status == .seeOther && store.client(issuerID: "contoso", clientID: "payroll")?.isDisabled == true)
            let badRole = try await Actions.post(client, "/console/issuers/contoso/clients/payroll/roles", cookie: cookie,
                                                 [("csrf_token", token), ("roles", "api://other/Nope")])
            #expect(badRole.status == .badRequest, "the admin API's own validation answers: \(badRole.status)")

            let log = try await store.adminLog(issuerID: "contoso", after: 0, limit: 100).map(\.action)
            for action in ["client.create", "client.secret.rotate", "client.disable"] {
                #expect(log.contains { $0.action == action && $0.outcome == AdminAction.succeeded && $0.target == "payroll"
                    && $0.actorIssuer == fixture.base.configuration.issuerURL("contoso") }, "\(action) is in the admin log")
            }
            #expect(!log.contains { $0.reason.contains(secret) || $0.target.contains(secret) }, "no secret in the admin log")

            // Another tenant's directory: 403, nothing made.
            #expect(try await Actions.get(client, "/console/issuers/fabrikam/clients", cookie: cookie).status == .forbidden)
            let elsewhere = try await Actions.post(client, "/console/issuers/fabrikam/clients", cookie: cookie, [("csrf_token", token)] + fields)
            #expect(try elsewhere.status == .forbidden && store.client(issuerID: "fabrikam", clientID: "payroll") == nil)
        }
    }

    @Test("a tenant admin creates a user, makes them a tenant admin and disables them; Console.Operator cannot be granted in a tenant")
    func users() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        let store = fixture.base.store
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let token = try await Actions.csrfToken(client, cookie: cookie)
            let page = String(buffer: try await Actions.get(client, "/console/issuers/contoso/users", cookie: cookie).body)
            #expect(page.contains("<code>admin</code>") && page.contains("keybound://console/Console.TenantAdmin"))

            let created = try await Actions.post(client, "/console/issuers/contoso/users", cookie: cookie, [
                ("csrf_token", token), ("username", "megan"), ("name", "Megan Bowen"), ("email", "megan@contoso.example"),
                ("password", "a long enough password 1"), ("roles", "")])
            #expect(created.status == .seeOther)
            #expect(try store.user(issuerID: "contoso", username: "megan")?.displayName == "Megan Bowen")

            let operatorRole = try await Actions.post(client, "/console/issuers/contoso/users/megan/roles", cookie: cookie,
                                                      [("csrf_token", token), ("roles", "keybound://console/Console.Operator")])
            #expect(try operatorRole.status == .badRequest && store.user(issuerID: "contoso", username: "megan")?.roles == [])
            let tenantAdmin = try await Actions.post(client, "/console/issuers/contoso/users/megan/roles", cookie: cookie,
                                                     [("csrf_token", token), ("roles", "keybound://console/Console.TenantAdmin")])
            #expect(tenantAdmin.status == .seeOther)
            #expect(try store.user(issuerID: "contoso", username: "megan")?.roles == ["keybound://console/Console.TenantAdmin"])
            let disabled = try await Actions.post(client, "/console/issuers/contoso/users/megan/disable", cookie: cookie, [("csrf_token", token)])
            #expect(try disabled.status == .seeOther && store.user(issuerID: "contoso", username: "megan")?.isDisabled == true)
            let unknown = try await Actions.post(client, "/console/issuers/contoso/users/megan/promote", cookie: cookie, [("csrf_token", token)])
            #expect(unknown.status == .notFound)

            #expect(try await Actions.get(client, "/console/issuers/fabrikam/users", cookie: cookie).status == .forbidden)
            let elsewhere = try await Actions.post(client, "/console/issuers/fabrikam/users/admin/disable", cookie: cookie, [("csrf_token", token)])
            #expect(try elsewhere.status == .forbidden && store.user(issuerID: "fabrikam", username: "admin")?.isDisabled == false)
            let log = try await store.adminLog(issuerID: "contoso", after: 0, limit: 100).map(\.action)
            #expect(log.contains { $0.action == "user.create" && $0.outcome == AdminAction.succeeded && $0.target == "megan" })
            #expect(log.contains { $0.action == "user.roles.set" && $0.outcome.hasPrefix("refused 400") })
        }
    }

    @Test("a tenant admin names its resource's server clients from the console: validated and admin-logged by the API's handler; another tenant's is 403")
    func serverClients() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        let store = fixture.base.store
        let path = "/console/issuers/contoso/resources/api%3A%2F%2Fmail/server-clients"
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let token = try await Actions.csrfToken(client, cookie: cookie)
            let page = String(buffer: try await Actions.get(client, "/console/issuers/contoso/resources", cookie: cookie).body)
            #expect(page.contains("<code>api://mail</code>") && page.contains("action=\"\(path)\""), "\(page)")

            let before = try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients
            #expect(before != ["daemon", "poster"])
            let noToken = try await Actions.post(client, path, cookie: cookie, [("server_clients", "daemon poster")])
            #expect(noToken.status == .forbidden)
            #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == before, "nothing changed")

            let saved = try await Actions.post(client, path, cookie: cookie, [("csrf_token", token), ("server_clients", "daemon poster")])
            #expect(saved.status == .seeOther && saved.headers[.location] == "/console/issuers/contoso/resources")
            #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["daemon", "poster"])
            let shown = String(buffer: try await Actions.get(client, "/console/issuers/contoso/resources", cookie: cookie).body)
            #expect(shown.contains("value=\"daemon poster\""))

            let unknown = try await Actions.post(client, path, cookie: cookie, [("csrf_token", token), ("server_clients", "no-such-client")])
            #expect(unknown.status == .badRequest, "the admin API refuses a client the issuer does not have: \(unknown.status)")
            #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["daemon", "poster"])

            let elsewhere = try await Actions.post(client, "/console/issuers/fabrikam/resources/api%3A%2F%2Fmail/server-clients", cookie: cookie,
                                                   [("csrf_token", token), ("server_clients", "daemon")])
            #expect(elsewhere.status == .forbidden)
            #expect(try await Actions.get(client, "/console/issuers/fabrikam/resources", cookie: cookie).status == .forbidden)

            let log = try await store.adminLog(issuerID: "contoso", after: 0, limit: 100)
            #expect(log.contains { $0.action.action == "resource.server-clients.set" && $0.action.outcome == AdminAction.succeeded })
        }
    }
}
