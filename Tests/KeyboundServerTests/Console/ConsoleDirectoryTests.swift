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

    @Test("an operator creates an issuer, registers a resource and adds a role from the console; a tenant admin's posts are 403, logged and change nothing")
    func operatorForms() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        let store = fixture.base.store
        let manager = fixture.base.context.manager
        try await fixture.base.app.test(.router) { client in
            let root = try await fixture.session(client, issuer: "operator")
            let rootToken = try await Actions.csrfToken(client, cookie: root)
            let admin = try await fixture.session(client, issuer: "contoso")
            let adminToken = try await Actions.csrfToken(client, cookie: admin)
            #expect(String(buffer: try await Actions.get(client, "/console", cookie: root).body).contains("action=\"/console/issuers\""))
            #expect(!String(buffer: try await Actions.get(client, "/console", cookie: admin).body).contains("action=\"/console/issuers\""),
                    "a tenant admin's home has no new-issuer form")

            // A new issuer.
            let fields = [("id", "northwind"), ("kind", "tenant"), ("tenant_id", "northwind-tid"), ("algorithm", "EdDSA"),
                          ("rotation_period", "7d"), ("publish_lead_time", ""), ("maximum_token_lifetime", ""), ("maximum_key_age", "")]
            #expect(try await Actions.post(client, "/console/issuers", cookie: root, fields).status == .forbidden, "no CSRF token")
            let byTenant = try await Actions.post(client, "/console/issuers", cookie: admin, [("csrf_token", adminToken)] + fields)
            #expect(byTenant.status == .forbidden)
            #expect(try await manager.issuers().allSatisfy { $0.id != "northwind" }, "nothing was created")
            let created = try await Actions.post(client, "/console/issuers", cookie: root, [("csrf_token", rootToken)] + fields)
            #expect(created.status == .seeOther && created.headers[.location] == "/console/issuers/northwind", "\(String(buffer: created.body))")
            let northwind = try await manager.issuer(id: "northwind")
            #expect(northwind.kind == .tenant && northwind.tenantID == "northwind-tid" && northwind.algorithm == .edDSA
                && northwind.rotationPeriod == 7 * 86_400)
            let northwindPage = String(buffer: try await Actions.get(client, "/console/issuers/northwind", cookie: root).body)
            #expect(northwindPage.contains("EdDSA") && northwindPage.contains("action=\"/console/issuers/northwind/console-client\""))

            // Console sign-in for the new tenant: the console's client, then a tenant admin, then a sign-in.
            let enabled = try await Actions.post(client, "/console/issuers/northwind/console-client", cookie: root, [("csrf_token", rootToken)])
            #expect(enabled.status == .seeOther && enabled.headers[.location] == "/console/issuers/northwind")
            let consoleClient = try #require(try store.client(issuerID: "northwind", clientID: ConsoleResource.clientID))
            #expect(consoleClient.authenticationMethod == .none && consoleClient.isFirstParty && consoleClient.grantTypes == ["authorization_code", "refresh_token"]
                && consoleClient.redirectURIs == [DevelopmentBootstrap.consoleRedirectURI(fixture.base.configuration)])
            #expect(!String(buffer: try await Actions.get(client, "/console/issuers/northwind", cookie: root).body).contains("/console-client\""),
                    "the form is gone once the client exists")
            let enabledTwice = try await Actions.post(client, "/console/issuers/northwind/console-client", cookie: root, [("csrf_token", rootToken)])
            #expect(enabledTwice.status == .conflict)
            let password = "northwind admin password 1"
            let madeAdmin = try await Actions.post(client, "/console/issuers/northwind/users", cookie: root, [
                ("csrf_token", rootToken), ("username", "nadmin"), ("password", password), ("roles", "keybound://console/Console.TenantAdmin")])
            #expect(madeAdmin.status == .seeOther)
            let signedIn = try await fixture.signIn(client, issuer: "northwind", username: "nadmin", password: password)
            #expect(signedIn.status == .seeOther && ConsoleSignInTests.cookie(signedIn, named: "__Host-kb_console") != nil,
                    "northwind's new tenant admin signs in: \(String(buffer: signedIn.body))")
            for (id, kind) in [("console", "tenant"), ("North Wind", "tenant"), ("realm", "operator")] {
                let refused = try await Actions.post(client, "/console/issuers", cookie: root,
                                                     [("csrf_token", rootToken), ("id", id), ("kind", kind), ("tenant_id", "x")])
                #expect(refused.status == .badRequest && String(buffer: refused.body).contains("Refused"), "\(id) \(kind): \(refused.status)")
            }

            // A resource and a role on it.
            let resources = "/console/issuers/northwind/resources"
            #expect(String(buffer: try await Actions.get(client, resources, cookie: root).body).contains("action=\"\(resources)\""))
            #expect(!String(buffer: try await Actions.get(client, "/console/issuers/contoso/resources", cookie: admin).body)
                .contains("action=\"/console/issuers/contoso/resources\""), "a tenant admin's resources page has no register form")
            let calendar = [("audience", "api://calendar"), ("scopes", "Calendars.Read Calendars.Write"), ("roles", "Calendars.Read.All")]
            #expect(try await Actions.post(client, resources, cookie: root, calendar).status == .forbidden, "no CSRF token")
            #expect(try store.resource(issuerID: "northwind", audience: "api://calendar") == nil)
            let registered = try await Actions.post(client, resources, cookie: root, [("csrf_token", rootToken)] + calendar)
            #expect(registered.status == .seeOther && registered.headers[.location] == resources)
            let record = try #require(try store.resource(issuerID: "northwind", audience: "api://calendar"))
            #expect(record.scopes == ["Calendars.Read", "Calendars.Write"] && record.roles == ["Calendars.Read.All"])
            let again = try await Actions.post(client, resources, cookie: root, [("csrf_token", rootToken), ("audience", "api://calendar"), ("scopes", "Other")])
            #expect(again.status == .conflict)
            #expect(try store.resource(issuerID: "northwind", audience: "api://calendar")?.scopes == ["Calendars.Read", "Calendars.Write"],
                    "registering an audience again replaces nothing")
            let builtIn = try await Actions.post(client, resources, cookie: root, [("csrf_token", rootToken), ("audience", "keybound://console")])
            #expect(builtIn.status == .badRequest, "the console's resource cannot be registered: \(builtIn.status)")
            let role = try await Actions.post(client, resources + "/api%3A%2F%2Fcalendar/roles", cookie: root,
                                              [("csrf_token", rootToken), ("role", "Calendars.Write.All")])
            #expect(role.status == .seeOther)
            #expect(try store.resource(issuerID: "northwind", audience: "api://calendar")?.roles == ["Calendars.Read.All", "Calendars.Write.All"])

            // A tenant admin on its own issuer: operators only.
            let mailBefore = try store.resource(issuerID: "contoso", audience: "api://mail")
            let tenantRegister = try await Actions.post(client, "/console/issuers/contoso/resources", cookie: admin,
                                                        [("csrf_token", adminToken), ("audience", "api://files")])
            let tenantRole = try await Actions.post(client, "/console/issuers/contoso/resources/api%3A%2F%2Fmail/roles", cookie: admin,
                                                    [("csrf_token", adminToken), ("role", "Mail.Everything")])
            #expect(tenantRegister.status == .forbidden && tenantRole.status == .forbidden)
            #expect(try store.resource(issuerID: "contoso", audience: "api://files") == nil)
            #expect(try store.resource(issuerID: "contoso", audience: "api://mail") == mailBefore)

            let log = try await store.adminLog(issuerID: nil, after: 0, limit: 500).map(\.action)
            #expect(log.contains { $0.action == "issuer.create" && $0.outcome == AdminAction.succeeded && $0.issuerID == "northwind" })
            #expect(log.contains { $0.action == "issuer.create" && $0.outcome.hasPrefix("refused 403") })
            #expect(log.contains { $0.action == "resource.register" && $0.outcome == AdminAction.succeeded && $0.issuerID == "northwind" })
            #expect(log.contains { $0.action == "resource.register" && $0.outcome.hasPrefix("refused 409") })
            #expect(log.contains { $0.action == "resource.role.add" && $0.outcome == AdminAction.succeeded })
            #expect(log.filter { $0.issuerID == "contoso" && $0.outcome.hasPrefix("refused 403") }.count == 2, "both of the tenant admin's posts are logged")
        }
    }

    @Test("a tenant admin cannot shut its tenant or itself out of the console (409, nothing changed); another tenant admin or an operator can")
    func noSelfLockout() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        let store = fixture.base.store
        try await fixture.base.app.test(.router) { client in
            let admin = try await fixture.session(client, issuer: "contoso")
            let token = try await Actions.csrfToken(client, cookie: admin)
            let users = "/console/issuers/contoso/users"
            let consoleClient = "/console/issuers/contoso/clients/\(ConsoleResource.clientID)"
            let adminBefore = try #require(try store.user(issuerID: "contoso", username: "admin"))

            let clientOff = try await Actions.post(client, consoleClient + "/disable", cookie: admin, [("csrf_token", token)])
            #expect(clientOff.status == .conflict && String(buffer: clientOff.body).contains("shut every admin of this tenant out"))
            #expect(try store.client(issuerID: "contoso", clientID: ConsoleResource.clientID)?.isDisabled == false)
            let selfOff = try await Actions.post(client, users + "/admin/disable", cookie: admin, [("csrf_token", token)])
            #expect(selfOff.status == .conflict)
            let selfDemoted = try await Actions.post(client, users + "/admin/roles", cookie: admin, [("csrf_token", token), ("roles", "api://mail/Mail.Read.All")])
            #expect(selfDemoted.status == .conflict)
            #expect(try store.user(issuerID: "contoso", username: "admin") == adminBefore, "nothing changed")
            #expect(try await Actions.get(client, "/console", cookie: admin).status == .ok, "still signed in")

            // Another tenant admin of contoso is fair game, and an operator may do all of it.
            let created = try await Actions.post(client, users, cookie: admin, [
                ("csrf_token", token), ("username", "megan"), ("password", "a long enough password 1"),
                ("roles", "\(ConsoleResource.audience)/Console.TenantAdmin")])
            #expect(created.status == .seeOther)
            #expect(try await Actions.post(client, users + "/megan/disable", cookie: admin, [("csrf_token", token)]).status == .seeOther)
            let root = try await fixture.session(client, issuer: "operator")
            let rootToken = try await Actions.csrfToken(client, cookie: root)
            #expect(try await Actions.post(client, consoleClient + "/disable", cookie: root, [("csrf_token", rootToken)]).status == .seeOther)
            #expect(try store.client(issuerID: "contoso", clientID: ConsoleResource.clientID)?.isDisabled == true)
            #expect(try await Actions.post(client, consoleClient + "/enable", cookie: root, [("csrf_token", rootToken)]).status == .seeOther)

            let log = try await store.adminLog(issuerID: "contoso", after: 0, limit: 100).map(\.action)
            #expect(log.filter { $0.outcome.hasPrefix("refused 409") }.map(\.action).sorted() == ["client.disable", "user.disable", "user.roles.set"])
        }
    }
}
