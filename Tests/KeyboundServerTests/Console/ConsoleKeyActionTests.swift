import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) @testable import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Testing

/// The console's key actions: rotation (tenant admins too), revocation (operators only, a fresh
/// sign-in, a reason and the key id typed again), CSRF on every form, and the admin log page.
@Suite("Console: rotate and revoke keys, the admin log page")
struct ConsoleKeyActionTests {
    typealias Fixture = ConsoleSignInTests.Fixture

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie])
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, cookie: String, _ fields: [(String, String)]) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                 body: ProviderFixture.form(fields))
    }

    /// The session's CSRF token, read from a page's forms.
    static func csrfToken(_ client: some TestClientProtocol, cookie: String) async throws -> String {
        let html = String(buffer: try await get(client, "/console", cookie: cookie).body)
        return try #require(ProviderFixture.hiddenFields(html.replacingOccurrences(of: "><", with: ">\n<")).first { $0.0 == "csrf_token" }?.1)
    }

    static func activeKey(_ fixture: Fixture, _ issuer: String) async throws -> KeyRecord {
        try #require(try await fixture.base.context.manager.keys(issuerID: issuer).first { $0.state == .active && $0.purpose == .accessToken })
    }

    @Test("a tenant admin rotates its own issuer's keys; the change is in the admin log as the console user's, and on the page")
    func tenantAdminRotates() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let token = try await Self.csrfToken(client, cookie: cookie)
            let page = String(buffer: try await Self.get(client, "/console/issuers/contoso", cookie: cookie).body)
            #expect(page.contains("action=\"/console/issuers/contoso/rotate\""), "the rotate form is shown")
            #expect(!page.contains("/revoke\""), "no revoke link for a tenant admin")
            let before = try await fixture.base.context.manager.keys(issuerID: "contoso").count

            let refused = try await Self.post(client, "/console/issuers/contoso/rotate", cookie: cookie, [("reason", "no token")])
            #expect(refused.status == .forbidden)
            #expect(try await fixture.base.context.manager.keys(issuerID: "contoso").count == before, "nothing changed without the CSRF token")

            let rotated = try await Self.post(client, "/console/issuers/contoso/rotate", cookie: cookie, [("csrf_token", token), ("reason", "quarterly")])
            #expect(rotated.status == .seeOther && rotated.headers[.location] == "/console/issuers/contoso")
            #expect(try await fixture.base.context.manager.keys(issuerID: "contoso").count > before, "the next keys were published")

            let elsewhere = try await Self.post(client, "/console/issuers/fabrikam/rotate", cookie: cookie, [("csrf_token", token)])
            #expect(elsewhere.status == .forbidden)

            let log = try await fixture.base.store.adminLog(issuerID: "contoso", after: 0, limit: 100)
            let admin = try #require(fixture.users["contoso"])
            let subject = try #require(try fixture.base.store.user(issuerID: "contoso", username: admin.username)).subject
            let entry = try #require(log.last { $0.action.action == "key.rotate" })
            #expect(entry.action.outcome == AdminAction.succeeded && entry.action.reason == "quarterly")
            #expect(entry.action.actorIssuer == fixture.base.configuration.issuerURL("contoso") && entry.action.actorSubject == subject)
            let refusedElsewhere = try await fixture.base.store.adminLog(issuerID: "fabrikam", after: 0, limit: 100)
            #expect(refusedElsewhere.contains { $0.action.action == "key.rotate" && $0.action.outcome.hasPrefix("refused 403") },
                    "the refused attempt on another tenant is recorded")

            let logPage = try await Self.get(client, "/console/issuers/contoso/admin-log", cookie: cookie)
            #expect(logPage.status == .ok && String(buffer: logPage.body).contains("quarterly"))
            #expect(try await Self.get(client, "/console/issuers/fabrikam/admin-log", cookie: cookie).status == .forbidden)
        }
    }

    @Test("a tenant admin cannot revoke: the form and the post are 403, the attempt is logged, the key stays active")
    func tenantAdminCannotRevoke() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let token = try await Self.csrfToken(client, cookie: cookie)
            let key = try await Self.activeKey(fixture, "contoso")
            let path = "/console/issuers/contoso/keys/\(key.keyID)/revoke"
            #expect(try await Self.get(client, path, cookie: cookie).status == .forbidden)
            let post = try await Self.post(client, path, cookie: cookie, [("csrf_token", token), ("reason", "x"), ("confirm_kid", key.keyID)])
            #expect(post.status == .forbidden)
            #expect(try await Self.activeKey(fixture, "contoso").keyID == key.keyID)
            let log = try await fixture.base.store.adminLog(issuerID: "contoso", after: 0, limit: 100)
            #expect(log.contains { $0.action.action == "key.revoke" && $0.action.outcome.hasPrefix("refused 403") && $0.action.target == key.keyID })
        }
    }

    @Test("an operator revokes after a fresh sign-in, with a reason and the key id typed again")
    func operatorRevokes() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "operator")
            let token = try await Self.csrfToken(client, cookie: cookie)
            let key = try await Self.activeKey(fixture, "fabrikam")
            let path = "/console/issuers/fabrikam/keys/\(key.keyID)/revoke"
            let issuerPage = String(buffer: try await Self.get(client, "/console/issuers/fabrikam", cookie: cookie).body)
            #expect(issuerPage.contains("href=\"\(path)\""), "the operator sees the revoke link")
            let form = try await Self.get(client, path, cookie: cookie)
            #expect(form.status == .ok && String(buffer: form.body).contains("name=\"confirm_kid\""))

            for (fields, why) in [([("csrf_token", token), ("reason", "stolen"), ("confirm_kid", key.keyID + "x")], "a mistyped kid"),
                                  ([("csrf_token", token), ("reason", "  "), ("confirm_kid", key.keyID)], "no reason"),
                                  ([("reason", "stolen"), ("confirm_kid", key.keyID)], "no CSRF token")] {
                let refused = try await Self.post(client, path, cookie: cookie, fields)
                #expect(refused.status == .badRequest || refused.status == .forbidden, "\(why): \(refused.status)")
                #expect(try await Self.activeKey(fixture, "fabrikam").keyID == key.keyID, "\(why): nothing was revoked")
            }
            let done = try await Self.post(client, path, cookie: cookie, [("csrf_token", token), ("reason", "signing key stolen"), ("confirm_kid", key.keyID)])
            #expect(done.status == .seeOther && done.headers[.location] == "/console/issuers/fabrikam")
            let revoked = try #require(try await fixture.base.context.manager.keys(issuerID: "fabrikam").first { $0.keyID == key.keyID })
            #expect(revoked.state == .revoked && revoked.revocationReason == "signing key stolen")
            let page = String(buffer: try await Self.get(client, "/console/issuers/fabrikam", cookie: cookie).body)
            #expect(page.contains("revoked: signing key stolen"))
            let log = try await fixture.base.store.adminLog(issuerID: "fabrikam", after: 0, limit: 100)
            #expect(log.contains { $0.action.action == "key.revoke" && $0.action.outcome == AdminAction.succeeded && $0.action.reason == "signing key stolen"
                && $0.action.actorIssuer == fixture.base.configuration.issuerURL("operator") })
        }
    }

    @Test("a revocation more than five minutes after the password was typed sends the operator to sign in again with max_age=300")
    func revocationNeedsAFreshSignIn() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "operator")
            let token = try await Self.csrfToken(client, cookie: cookie)
            let key = try await Self.activeKey(fixture, "contoso")
            let path = "/console/issuers/contoso/keys/\(key.keyID)/revoke"
            fixture.clock.advance(301)
            for response in [try await Self.get(client, path, cookie: cookie),
                             try await Self.post(client, path, cookie: cookie, [("csrf_token", token), ("reason", "r"), ("confirm_kid", key.keyID)])] {
                #expect(response.status == .seeOther)
                let location = try #require(response.headers[.location])
                #expect(location.hasPrefix("/console/sign-in?issuer=operator&fresh=1&return_to="), "\(location)")
                let signIn = try await client.execute(uri: location, method: .get)
                #expect(signIn.headers[.location]?.contains("&max_age=300") == true)
            }
            #expect(try await Self.activeKey(fixture, "contoso").keyID == key.keyID, "nothing was revoked on a stale sign-in")

            // Signing in again comes back to the form, with a new, fresh session.
            let again = try await fixture.signIn(client, issuer: "operator", returnTo: path)
            #expect(again.headers[.location] == path)
            let fresh = try #require(ConsoleSignInTests.cookie(again, named: "__Host-kb_console"))
            #expect(try await Self.get(client, path, cookie: fresh).status == .ok)
        }
    }

    @Test("the alerts page and its live stream are for operators; the issuer page subscribes to its key events with the console's own script")
    func alertsAndLiveViews() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let root = try await fixture.session(client, issuer: "operator")
            let alerts = try await Self.get(client, "/console/alerts", cookie: root)
            #expect(alerts.status == .ok)
            let html = String(buffer: alerts.body)
            #expect(html.contains("data-stream=\"/console/alerts/stream\"") && html.contains("<script src=\"/console/console.js\" defer></script>"))
            #expect(html.contains("href=\"/console/alerts\""), "operators get the alerts link")

            let tenant = try await fixture.session(client, issuer: "contoso")
            #expect(try await Self.get(client, "/console/alerts", cookie: tenant).status == .forbidden)
            let stream = try await Self.get(client, "/console/alerts/stream", cookie: tenant)
            #expect(stream.status == .forbidden && stream.headers[.contentType] != "text/event-stream")
            let page = String(buffer: try await Self.get(client, "/console/issuers/contoso", cookie: tenant).body)
            #expect(page.contains("data-stream=\"/contoso/key-events\"") && page.contains("data-events=\"created activated verify-only retired revoked resealed\""))
            #expect(!page.contains("href=\"/console/alerts\""), "no alerts link for a tenant admin")

            let script = try await client.execute(uri: "/console/console.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.headers[.contentSecurityPolicy] == ConsoleSignInTests.csp)
            let code = String(buffer: script.body)
            #expect(code.contains("new EventSource") && !code.contains("innerHTML"), "events are written as text only")
        }
    }
}
