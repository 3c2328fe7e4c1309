import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@testable import KeyboundApp
import KeyboundIncident
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Testing

/// The console's hunt, incident and notice pages (KeyboundApp's console extension), at the HTTP
/// level, over a provider whose Keybound Mail (without the ledger check, as a validator in another
/// process runs) served a forgery made with contoso's stolen key: an operator runs the incident
/// response from the console and watches it close; contoso's tenant admin reads the notice
/// addressed to contoso, and no one else's; fabrikam's reads nothing. The audit pages show a
/// tenant its own records, every record to operators, and the chain's state.
@Suite("Console: hunt, incidents, notices and audit records", .serialized)
struct ConsoleIncidentTests {
    static let adminToken = String(repeating: "c", count: 40)
    static let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    struct Fixture {
        let mail: MailFixture
        let clock: TestClock
        var users: [String: DevelopmentBootstrap.ConsoleUser] = [:]
        var context: ProviderContext { mail.context }

        init() async throws {
            clock = TestClock()
            mail = try await MailFixture(ledgerCheck: false, adminToken: ConsoleIncidentTests.adminToken, clock: clock.function, mailInDataDirectory: true)
            let manager = mail.context.manager
            let configuration = mail.context.configuration
            let created = clock.now.addingTimeInterval(-60)
            try await manager.createIssuer(IssuerRecord(id: "operator", url: configuration.issuerURL("operator"), kind: .operator,
                                                        algorithm: .es256, createdAt: created))
            try await manager.createIssuer(IssuerRecord(id: "fabrikam", url: configuration.issuerURL("fabrikam"), kind: .tenant,
                                                        tenantID: "fabrikam-tid", algorithm: .es256, createdAt: created))
            for (issuer, username) in [("operator", "root"), ("contoso", "admin"), ("fabrikam", "admin")] {
                users[issuer] = try await DevelopmentBootstrap.addConsoleUser(username, to: try await manager.issuer(id: issuer),
                                                                              context: mail.context, now: created)
            }
        }

        var app: some ApplicationProtocol { Application(router: ProviderAssembly.router(context: mail.context, auditLog: mail.mail.audit)) }

        /// Signs the console user of `issuer` in; the session's `Cookie` value.
        func session(_ client: some TestClientProtocol, issuer: String) async throws -> String {
            let start = try await client.execute(uri: "/console/sign-in?issuer=\(issuer)", method: .get)
            let location = try #require(start.headers[.location])
            let prefix = context.configuration.issuerURL(issuer) + "/authorize?"
            let signInCookie = try #require(ConsoleIncidentTests.cookie(start, named: "__Host-kb_console_signin"))
            let user = try #require(users[issuer])
            let login = try await ProviderFixture.signIn(client, issuer: issuer, query: String(location.dropFirst(prefix.count)),
                                                         username: user.username, password: user.password)
            let callback = try #require(login.headers[.location])
            let done = try await client.execute(uri: String(callback.dropFirst(context.configuration.publicURL.count)), method: .get,
                                                headers: [.cookie: signInCookie])
            #expect(done.status == .seeOther, "\(String(buffer: done.body))")
            return try #require(ConsoleIncidentTests.cookie(done, named: "__Host-kb_console"))
        }
    }

    static func cookie(_ response: TestResponse, named name: String) -> String? {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";").first.map(String.init) ?? ""
            if pair.hasPrefix(name + "="), pair.count > name.count + 1 { return pair }
        }
        return nil
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie])
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, cookie: String, _ fields: [(String, String)]) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                 body: ProviderFixture.form(fields))
    }

    static func csrfToken(_ client: some TestClientProtocol, cookie: String) async throws -> String {
        let html = String(buffer: try await get(client, "/console", cookie: cookie).body)
        return try #require(ProviderFixture.hiddenFields(html.replacingOccurrences(of: "><", with: ">\n<")).first { $0.0 == "csrf_token" }?.1)
    }

    /// Mail serves a forgery signed with contoso's key: a verified contoso token the ledger never issued.
    static func attack(_ fixture: Fixture) async throws -> String {
        let stolen = try await fixture.context.manager.signingKey(issuerID: "contoso")
        let forged = try fixture.mail.forge(with: stolen, issuer: fixture.mail.issuerURL("contoso"), tenant: MailFixture.contosoTenant,
                                            extra: ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app")])
        try await fixture.mail.mailApp.test(.router) { mail in
            let served = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: forged)
            #expect(served.status == .ok, "the forgery is served by a validator without the ledger check")
        }
        return stolen.keyID
    }

    @Test("an operator runs the incident response from the console: fresh sign-in, CSRF, the kid typed again; it closes with a notice to contoso")
    func operatorRespondsAndTenantAdminsReadTheirNotices() async throws {
        let fixture = try await Fixture()
        defer { fixture.mail.remove() }
        let kid = try await Self.attack(fixture)
        let respond = "/console/issuers/contoso/keys/\(kid)/respond"
        try await fixture.app.test(.router) { client in
            // A tenant admin may not start a response: the form and the post are 403, and the attempt is logged.
            let tenantCookie = try await fixture.session(client, issuer: "contoso")
            let tenantToken = try await Self.csrfToken(client, cookie: tenantCookie)
            #expect(try await Self.get(client, respond, cookie: tenantCookie).status == .forbidden)
            let refused = try await Self.post(client, respond, cookie: tenantCookie,
                                              [("csrf_token", tenantToken), ("reason", "mine"), ("confirm_kid", kid)])
            #expect(refused.status == .forbidden)
            let log = try fixture.mail.provider.store.adminLog(issuerID: "contoso", after: 0, limit: 100)
            #expect(log.contains { $0.action.action == "incident.respond" && $0.action.outcome.hasPrefix("refused 403") })
            for page in ["/console/incidents", "/console/hunt"] {
                #expect(try await Self.get(client, page, cookie: tenantCookie).status == .forbidden, "\(page)")
            }

            let operatorCookie = try await fixture.session(client, issuer: "operator")
            let token = try await Self.csrfToken(client, cookie: operatorCookie)
            let issuerPage = String(buffer: try await Self.get(client, "/console/issuers/contoso", cookie: operatorCookie).body)
            #expect(issuerPage.contains("href=\"\(respond)\""), "each key's row links to its incident response")

            // Five minutes after the password, the form asks for it again.
            fixture.clock.advance(301)
            let stale = try await Self.get(client, respond, cookie: operatorCookie)
            #expect(stale.status == .seeOther)
            #expect(stale.headers[.location]?.hasPrefix("/console/sign-in?issuer=operator&fresh=1&return_to=") == true)
            let stalePost = try await Self.post(client, respond, cookie: operatorCookie, [("csrf_token", token), ("reason", "stolen"), ("confirm_kid", kid)])
            #expect(stalePost.status == .seeOther, "nothing is started without a fresh sign-in")
            #expect(try await fixture.context.manager.keys(issuerID: "contoso").first { $0.keyID == kid }?.state == .active)

            let fresh = try await fixture.session(client, issuer: "operator")
            let freshToken = try await Self.csrfToken(client, cookie: fresh)
            let form = try await Self.get(client, respond, cookie: fresh)
            #expect(form.status == .ok && form.headers[.contentSecurityPolicy] == Self.csp)
            #expect(String(buffer: form.body).contains("<form method=\"post\" action=\"\(respond)\">"), "the form posts to where it was served")
            let noToken = try await Self.post(client, respond, cookie: fresh, [("reason", "stolen"), ("confirm_kid", kid)])
            #expect(noToken.status == .forbidden)
            let mistyped = try await Self.post(client, respond, cookie: fresh, [("csrf_token", freshToken), ("reason", "stolen"), ("confirm_kid", kid + "x")])
            #expect(mistyped.status == .badRequest)
            #expect(try await fixture.context.manager.keys(issuerID: "contoso").first { $0.keyID == kid }?.state == .active, "nothing changed")
            #expect(try await FolderIncidentStore(dataDirectory: fixture.mail.provider.directory).incidents().isEmpty)

            let started = try await Self.post(client, respond, cookie: fresh,
                                              [("csrf_token", freshToken), ("reason", "contoso signing key stolen"), ("confirm_kid", kid)])
            #expect(started.status == .seeOther)
            let incidentPath = try #require(started.headers[.location])
            #expect(incidentPath.hasPrefix("/console/incidents/INC-"))
            let incidentID = String(incidentPath.dropFirst("/console/incidents/".count))

            // The page's live view polls the state until every step is done.
            var state = JSONObject()
            for _ in 0..<300 {
                let polled = try await Self.get(client, incidentPath + "/state", cookie: fresh)
                #expect(polled.status == .ok && polled.headers[.contentSecurityPolicy] == Self.csp)
                state = try StrictJSONParser.parseObject(Array(polled.body.readableBytesView))
                if state["closed"] == .bool(true) || state["stopped"] == .bool(true) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state["closed"] == .bool(true), "\(state)")
            let steps = state["steps"]?.arrayValue?.compactMap { $0.objectValue } ?? []
            #expect(steps.map { $0["step"]?.stringValue ?? "" } == IncidentStep.allCases.map(\.rawValue))
            #expect(steps.allSatisfy { $0["done"] == .bool(true) })
            #expect(try await fixture.context.manager.keys(issuerID: "contoso").first { $0.keyID == kid }?.state == .revoked)

            let page = String(buffer: try await Self.get(client, incidentPath, cookie: fresh).body)
            let notice = "notices/\(MailFixture.contosoTenant).md"
            #expect(page.contains("done: revoke_key") && page.contains("done: close"))
            #expect(!page.contains("data-poll"), "a closed incident's page polls nothing")
            #expect(page.contains(notice), "the notice to contoso is listed")
            let entry = try #require(try fixture.mail.provider.store.adminLog(issuerID: "contoso", after: 0, limit: 100)
                .last { $0.action.action == "incident.respond" && $0.action.outcome == AdminAction.succeeded })
            #expect(entry.action.reason == "contoso signing key stolen" && entry.action.actorIssuer == fixture.mail.issuerURL("operator"))

            // Starting it again finds the same, closed incident.
            let again = try await Self.post(client, respond, cookie: fresh,
                                            [("csrf_token", freshToken), ("reason", "again"), ("confirm_kid", kid)])
            #expect(again.headers[.location] == incidentPath)

            // The response revoked every token the key signed: the contoso admin's console tokens too,
            // so that session is over (the key it stood on is revoked). A new sign-in gets tokens of the fresh key.
            let ended = try await Self.get(client, "/console", cookie: tenantCookie)
            #expect(String(buffer: ended.body).contains("Sign in to the console"))
            let contosoAdmin = try await fixture.session(client, issuer: "contoso")

            // contoso's tenant admin reads and downloads the notice addressed to contoso, and nothing else of the incident.
            let noticeURL = "/console/incidents/\(incidentID)/document?name=notices%2F\(MailFixture.contosoTenant).md"
            let notices = String(buffer: try await Self.get(client, "/console/notices", cookie: contosoAdmin).body)
            #expect(notices.contains(noticeURL.replacingOccurrences(of: "&", with: "&amp;")), "\(notices)")
            let read = try await Self.get(client, noticeURL, cookie: contosoAdmin)
            #expect(read.status == .ok && String(buffer: read.body).contains(incidentID))
            let download = try await Self.get(client, noticeURL + "&download=1", cookie: contosoAdmin)
            #expect(download.status == .ok)
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"\(incidentID)-notices-") == true)
            #expect(download.headers[.contentSecurityPolicy] == Self.csp)
            for forbidden in ["/console/incidents/\(incidentID)/document?name=timeline.md", "/console/incidents/\(incidentID)",
                              "/console/incidents/\(incidentID)/state"] {
                #expect(try await Self.get(client, forbidden, cookie: contosoAdmin).status == .forbidden, "\(forbidden)")
            }

            // fabrikam's tenant admin sees no notice, and cannot read contoso's.
            let fabrikam = try await fixture.session(client, issuer: "fabrikam")
            let fabrikamNotices = String(buffer: try await Self.get(client, "/console/notices", cookie: fabrikam).body)
            #expect(fabrikamNotices.contains("No notices.") && !fabrikamNotices.contains(incidentID))
            #expect(try await Self.get(client, noticeURL, cookie: fabrikam).status == .forbidden)

            // The operator reads every document, and nothing outside the incident's list.
            #expect(try await Self.get(client, "/console/incidents/\(incidentID)/document?name=timeline.md", cookie: fresh).status == .ok)
            #expect(try await Self.get(client, "/console/incidents/\(incidentID)/document?name=..%2Fincident.json", cookie: fresh).status == .notFound)
            #expect(try await Self.get(client, "/console/incidents/INC-none/document?name=timeline.md", cookie: fresh).status == .notFound)
        }
    }

    @Test("every template of the hunt, incident, notice and audit pages parses and renders, its values HTML-escaped")
    func templatesRender() {
        for (name, _) in ConsoleAppTemplates.sources {
            #expect(!ConsoleAppTemplates.render(name, [:]).isEmpty, "\(name)")
        }
        let page = ConsoleAppTemplates.render("document", ["name": "<script>", "text": "\"'&<b>"])
        #expect(page.contains("&lt;script&gt;") && page.contains("&quot;&#39;&amp;&lt;b&gt;") && !page.contains("<script>") && !page.contains("<b>"))
    }

    @Test("the hunt page: operators only; the report as the hunt's HTML section with its CSS in the console's file, or JSON to download")
    func huntPage() async throws {
        let fixture = try await Fixture()
        defer { fixture.mail.remove() }
        let kid = try await Self.attack(fixture)
        fixture.clock.advance(60)
        try await fixture.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "operator")
            let form = try await Self.get(client, "/console/hunt", cookie: cookie)
            #expect(form.status == .ok && form.headers[.contentSecurityPolicy] == Self.csp)
            #expect(!String(buffer: form.body).contains("hunt-report"), "no report before the form is sent")

            let report = try await Self.get(client, "/console/hunt?issuer=contoso&kid=\(kid)&since=&until=&run=1", cookie: cookie)
            let html = String(buffer: report.body)
            #expect(report.status == .ok, "\(html)")
            #expect(html.contains("<section class=\"hunt-report\""), "the hunt's own report")
            #expect(html.contains("Malicious activity found"))
            #expect(html.contains("<svg") && !html.contains("style=") && !html.contains("<style"), "no inline style under the console's CSP")
            let css = String(buffer: try await client.execute(uri: "/console/console.css", method: .get).body)
            #expect(css.contains(".hunt-report svg .forged_token"), "the report's CSS is in the console's stylesheet")

            let json = try await Self.get(client, "/console/hunt?issuer=contoso&kid=\(kid)&run=1&format=json", cookie: cookie)
            #expect(json.status == .ok && json.headers[.contentDisposition] == "attachment; filename=\"hunt.json\"")
            let object = try StrictJSONParser.parseObject(Array(json.body.readableBytesView))
            #expect(object["verdict"] == .string("malicious"))

            let bad = try await Self.get(client, "/console/hunt?since=yesterday&run=1", cookie: cookie)
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("UNIX seconds"))
            let lone = try await Self.get(client, "/console/hunt?kid=\(kid)&run=1", cookie: cookie)
            #expect(lone.status == .badRequest, "a kid without its issuer names no key")
        }
    }

    @Test("audit and alert pages: a tenant admin reads its tenant's verified records and its issuer's alerts, never another's; operators search every record by jti from an alert")
    func auditPages() async throws {
        let fixture = try await Fixture()
        defer { fixture.mail.remove() }
        _ = try await Self.attack(fixture)
        // A token signed with the consumers key but claiming contoso: refused, and only *claimed* contoso.
        let consumersKey = try await fixture.context.manager.signingKey(issuerID: "consumers")
        let crossIssuer = try fixture.mail.forge(with: consumersKey, issuer: fixture.mail.issuerURL("contoso"), tenant: MailFixture.contosoTenant,
                                                 extra: ["roles": .array([.string("Mail.Read.All")]), "idtyp": .string("app"), "jti": .string("cross-issuer-jti")])
        try await fixture.mail.withClients { provider, mail in
            let daemon = try await MailFixture.appToken(provider, issuer: "contoso")
            let served = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: daemon)
            #expect(served.status == .ok)
            let refused = try await MailFixture.get(mail, "/users/\(MailFixture.otherUserAddress)/messages", token: crossIssuer)
            #expect(refused.status == .unauthorized)
        }
        try await fixture.app.test(.router) { client in
            let admin = try await fixture.session(client, issuer: "contoso")
            let page = try await Self.get(client, "/console/issuers/contoso/audit", cookie: admin)
            let html = String(buffer: page.body)
            #expect(page.status == .ok && page.headers[.contentSecurityPolicy] == Self.csp)
            #expect(html.contains("The chain verified at"), "\(html)")
            #expect(html.contains("No signed checkpoint yet."))
            #expect(html.contains(">daemon<"))
            #expect(html.contains("<td>allowed</td>") && !html.contains("allowed ("), "an allowed record shows no refusal code")
            #expect(html.components(separatedBy: "<tr><td>").count - 1 == 2, "the forgery and the daemon's read: both verified for contoso")
            #expect(!html.contains("cross-issuer-jti"), "a refused token that only claimed contoso is not in contoso's records")

            let daemonOnly = String(buffer: try await Self.get(client, "/console/issuers/contoso/audit?application=daemon", cookie: admin).body)
            #expect(daemonOnly.components(separatedBy: "<tr><td>").count - 1 == 1)
            let refusedOnly = String(buffer: try await Self.get(client, "/console/issuers/contoso/audit?result=denied", cookie: admin).body)
            #expect(refusedOnly.contains("No matching records."))
            let otherMailbox = String(buffer: try await Self.get(client, "/console/issuers/contoso/audit?mailbox=nobody%40contoso.example", cookie: admin).body)
            #expect(otherMailbox.contains("No matching records."))
            #expect(try await Self.get(client, "/console/issuers/contoso/audit?result=maybe", cookie: admin).status == .badRequest)
            #expect(try await Self.get(client, "/console/issuers/contoso/audit?jti=x", cookie: admin).status == .badRequest, "jti is the operators' filter")
            #expect(try await Self.get(client, "/console/issuers/fabrikam/audit", cookie: admin).status == .forbidden)
            #expect(try await Self.get(client, "/console/audit", cookie: admin).status == .forbidden)

            // The tenant admin's own alerts: the token that named contoso, signed with another issuer's key.
            let contosoAlerts = String(buffer: try await Self.get(client, "/console/issuers/contoso/alerts", cookie: admin).body)
            #expect(contosoAlerts.contains("issuer_key_mismatch") && contosoAlerts.contains("a token naming this issuer"), "\(contosoAlerts)")
            #expect(try await Self.get(client, "/console/issuers/fabrikam/alerts", cookie: admin).status == .forbidden)

            // A record changed behind the log's back: once the minute's verification is over, the page says so.
            try AuditFixture.tamperInPlace(fixture.mail.provider.directory) { db in
                try db.execute(sql: "UPDATE audit_record SET client_id = 'someone-else' WHERE sequence = 1")
            }
            let cached = String(buffer: try await Self.get(client, "/console/issuers/contoso/audit", cookie: admin).body)
            #expect(cached.contains("The chain verified at"), "the verification is reused for a minute")
            fixture.clock.advance(61)
            let tampered = String(buffer: try await Self.get(client, "/console/issuers/contoso/audit", cookie: admin).body)
            #expect(tampered.contains("The chain does NOT verify"), "\(tampered)")

            let root = try await fixture.session(client, issuer: "operator")
            let alerts = String(buffer: try await Self.get(client, "/console/alerts", cookie: root).body)
            #expect(alerts.contains("href=\"/console/audit?jti=cross-issuer-jti\""), "the alert links to its token's audit records")
            #expect(alerts.contains("data-records=\"/console/audit\""), "and so do the live alert lines")
            let byToken = String(buffer: try await Self.get(client, "/console/audit?jti=cross-issuer-jti", cookie: root).body)
            #expect(byToken.components(separatedBy: "<tr><td>").count - 1 == 1)
            #expect(byToken.contains("denied (issuer_key_mismatch), claimed"), "\(byToken)")
            let everything = String(buffer: try await Self.get(client, "/console/audit", cookie: root).body)
            #expect(everything.components(separatedBy: "<tr><td>").count - 1 == 3)
            let consumersAlerts = String(buffer: try await Self.get(client, "/console/issuers/consumers/alerts", cookie: root).body)
            #expect(consumersAlerts.contains("issuer_key_mismatch") && consumersAlerts.contains("a key of this issuer"))
            let fabrikamAlerts = String(buffer: try await Self.get(client, "/console/issuers/fabrikam/alerts", cookie: root).body)
            #expect(fabrikamAlerts.contains("No alerts."), "another issuer's alerts are not fabrikam's")
            let issuerPage = String(buffer: try await Self.get(client, "/console/issuers/contoso", cookie: root).body)
            #expect(issuerPage.contains("href=\"/console/issuers/contoso/audit\""))
        }
    }
}
