import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) @testable import KeyboundServer
import KeyboundStore
import KeyboundTesting
import Testing

/// The console's sign-in (authorization code with PKCE against the operator issuer or a tenant's
/// own issuer), its sessions (8 h absolute, 30 min idle, sign-out), its CSP, and the first pages
/// filtered by (issuer, role).
@Suite("Console: sign-in, sessions and the issuer pages")
struct ConsoleSignInTests {
    static let adminToken = String(repeating: "k", count: 40)
    static let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// ``ProviderFixture`` (consumers, contoso) with the admin API on, the operator issuer
    /// `operator` (console user `root`), a second tenant `fabrikam`, and a tenant admin `admin` in
    /// contoso and in fabrikam, all made by the development bootstrap's console helper.
    struct Fixture {
        let base: ProviderFixture
        let clock: TestClock
        var users: [String: DevelopmentBootstrap.ConsoleUser] = [:]

        init() async throws {
            clock = TestClock()
            base = try await ProviderFixture(clock: clock.function, adminToken: ConsoleSignInTests.adminToken)
            let manager = base.context.manager
            let created = clock.now.addingTimeInterval(-60)
            try await manager.createIssuer(IssuerRecord(id: "operator", url: base.configuration.issuerURL("operator"), kind: .operator,
                                                        algorithm: .es256, createdAt: created))
            try await manager.createIssuer(IssuerRecord(id: "fabrikam", url: base.configuration.issuerURL("fabrikam"), kind: .tenant,
                                                        tenantID: "fabrikam-tid", algorithm: .es256, createdAt: created))
            for (issuer, username) in [("operator", "root"), ("contoso", "admin"), ("fabrikam", "admin")] {
                users[issuer] = try await DevelopmentBootstrap.addConsoleUser(username, to: try await manager.issuer(id: issuer),
                                                                              context: base.context, now: created)
            }
        }

        /// Signs `username` in at `issuer` through the console; the callback's response.
        func signIn(_ client: some TestClientProtocol, issuer: String, username: String? = nil, password: String? = nil,
                    returnTo: String? = nil) async throws -> TestResponse {
            let pending = try await pendingSignIn(client, issuer: issuer, username: username, password: password, returnTo: returnTo)
            return try await client.execute(uri: pending.callback, method: .get, headers: [.cookie: pending.cookie])
        }

        /// A sign-in started at `issuer` and its password typed, not yet completed: the sign-in
        /// cookie this browser got, and the callback URI (a path) the issuer sent it to.
        func pendingSignIn(_ client: some TestClientProtocol, issuer: String, username: String? = nil, password: String? = nil,
                           returnTo: String? = nil) async throws -> (cookie: String, callback: String) {
            var uri = "/console/sign-in?issuer=\(issuer)"
            if let returnTo { uri += "&return_to=\(returnTo)" }
            let start = try await client.execute(uri: uri, method: .get)
            #expect(start.status == .seeOther)
            #expect(start.headers[.contentSecurityPolicy] == ConsoleSignInTests.csp)
            let location = try #require(start.headers[.location])
            let prefix = base.configuration.issuerURL(issuer) + "/authorize?"
            #expect(location.hasPrefix(prefix), "\(location)")
            let cookie = try #require(ConsoleSignInTests.cookie(start, named: "__Host-kb_console_signin"))
            let user = users[issuer]
            let login = try await ProviderFixture.signIn(client, issuer: issuer, query: String(location.dropFirst(prefix.count)),
                                                         username: username ?? user?.username ?? "user",
                                                         password: password ?? user?.password ?? ProviderFixture.password)
            #expect(login.status == .seeOther, "the issuer's sign-in page answered: \(String(buffer: login.body).prefix(3_000))")
            let callback = try #require(login.headers[.location])
            #expect(callback.hasPrefix(base.configuration.publicURL + "/console/callback?"), "\(callback)")
            return (cookie, String(callback.dropFirst(base.configuration.publicURL.count)))
        }

        /// Signs in and returns the session's `Cookie` header value.
        func session(_ client: some TestClientProtocol, issuer: String) async throws -> String {
            let callback = try await signIn(client, issuer: issuer)
            #expect(callback.status == .seeOther, "\(String(buffer: callback.body))")
            #expect(callback.headers[.location] == "/console")
            return try #require(ConsoleSignInTests.cookie(callback, named: "__Host-kb_console"))
        }
    }

    /// `name=value` of the `Set-Cookie` named `name` with a value, if `response` sets it.
    static func cookie(_ response: TestResponse, named name: String) -> String? {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";").first.map(String.init) ?? ""
            if pair.hasPrefix(name + "="), pair.count > name.count + 1 { return pair }
        }
        return nil
    }

    /// Every token the console's client was issued at `issuer`, from its ledger.
    static func consoleIssuances(_ fixture: Fixture, issuer: String) async throws -> [IssuanceRecord] {
        var issued: [IssuanceRecord] = []
        for key in try await fixture.base.context.manager.keys(issuerID: issuer) {
            issued += try await fixture.base.store.issuances(issuerID: issuer, keyID: key.keyID).filter { $0.clientID == ConsoleResource.clientID }
        }
        return issued
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie])
    }

    @Test("an operator signs in with PKCE at the operator issuer, gets a __Host- session cookie, and sees every issuer")
    func operatorSignsIn() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let callback = try await fixture.signIn(client, issuer: "operator")
            #expect(callback.status == .seeOther)
            let setCookies = callback.headers[values: .setCookie]
            let session = try #require(setCookies.first { $0.hasPrefix("__Host-kb_console=") && !$0.hasPrefix("__Host-kb_console=;") })
            #expect(session.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Strict"), "\(session)")
            #expect(setCookies.contains { $0.hasPrefix("__Host-kb_console_signin=; Max-Age=0") }, "the sign-in cookie is cleared: \(setCookies)")
            let cookie = try #require(Self.cookie(callback, named: "__Host-kb_console"))

            let home = try await Self.get(client, "/console", cookie: cookie)
            #expect(home.status == .ok)
            #expect(home.headers[.contentSecurityPolicy] == Self.csp)
            #expect(home.headers[.cacheControl] == "no-store")
            let html = String(buffer: home.body)
            #expect(html.contains("Signed in as <strong>root</strong> at <code>operator</code> (Console.Operator)"), "\(html)")
            for issuer in ["operator", "consumers", "contoso", "fabrikam"] {
                #expect(html.contains("href=\"/console/issuers/\(issuer)\""), "\(issuer) is listed")
            }
            #expect(!html.contains("<script") && !html.contains("style="), "no inline script or style")
            let css = try await client.execute(uri: "/console/console.css", method: .get)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.headers[.contentSecurityPolicy] == Self.csp)
        }
    }

    @Test("a tenant admin sees its own issuer only: another issuer's page, existing or not, is 403")
    func tenantAdminSeesOwnIssuerOnly() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "contoso")
            let home = String(buffer: try await Self.get(client, "/console", cookie: cookie).body)
            #expect(home.contains("href=\"/console/issuers/contoso\""))
            for other in ["operator", "consumers", "fabrikam"] { #expect(!home.contains("/console/issuers/\(other)\""), "\(other) is hidden") }

            let own = try await Self.get(client, "/console/issuers/contoso", cookie: cookie)
            #expect(own.status == .ok)
            let active = try #require(try await fixture.base.context.manager.keys(issuerID: "contoso").first { $0.state == .active })
            #expect(String(buffer: own.body).contains("<code>\(active.keyID)</code>"), "the page lists the active key")
            #expect(String(buffer: own.body).contains("state-active"))
            for other in ["fabrikam", "operator", "no-such-issuer"] {
                let page = try await Self.get(client, "/console/issuers/\(other)", cookie: cookie)
                #expect(page.status == .forbidden, "\(other): \(page.status)")
                #expect(page.headers[.contentSecurityPolicy] == Self.csp)
                #expect(!String(buffer: page.body).contains("<code>\(other)</code>"))
            }
            // An operator gets 404 for an issuer that does not exist.
            let root = try await fixture.session(client, issuer: "operator")
            #expect(try await Self.get(client, "/console/issuers/no-such-issuer", cookie: root).status == .notFound)
            #expect(try await Self.get(client, "/console/issuers/fabrikam", cookie: root).status == .ok)
        }
    }

    @Test("a user without the issuer's console role gets no session; a role taken away ends the session at the next request")
    func roleIsCheckedAtSignInAndEveryRequest() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let plain = try await fixture.signIn(client, issuer: "contoso", username: "user", password: ProviderFixture.password)
            #expect(plain.status == .forbidden)
            #expect(Self.cookie(plain, named: "__Host-kb_console") == nil)
            // The tokens the refused sign-in was issued are revoked, not left live without a session.
            let refusedTokens = try await Self.consoleIssuances(fixture, issuer: "contoso")
            #expect(!refusedTokens.isEmpty)
            for record in refusedTokens {
                #expect(try await fixture.base.store.issuanceStatus(issuerID: "contoso", tokenID: record.tokenID)?.revocationReason != nil,
                        "the refused sign-in's \(record.kind) is revoked")
            }

            let cookie = try await fixture.session(client, issuer: "contoso")
            #expect(try await Self.get(client, "/console", cookie: cookie).status == .ok)
            var admin = try #require(try fixture.base.store.user(issuerID: "contoso", username: "admin"))
            admin.roles = []
            try fixture.base.store.update(admin)
            #expect(try await Self.get(client, "/console", cookie: cookie).status == .forbidden)
            let after = try await Self.get(client, "/console", cookie: cookie)
            #expect(after.status == .ok && String(buffer: after.body).contains("Sign in to the console"), "the session ended")
        }
    }

    @Test("the callback needs the sign-in cookie of this browser and its state; a code is redeemed once")
    func callbackIsBoundToTheBrowser() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let (signInCookie, callback) = try await fixture.pendingSignIn(client, issuer: "operator")

            // Another browser (no sign-in cookie, or another one's) cannot complete it.
            let noCookie = try await client.execute(uri: callback, method: .get)
            #expect(noCookie.status == .badRequest && Self.cookie(noCookie, named: "__Host-kb_console") == nil)
            let other = try await client.execute(uri: "/console/sign-in?issuer=operator", method: .get)
            let otherCookie = try #require(Self.cookie(other, named: "__Host-kb_console_signin"))
            let wrongState = try await client.execute(uri: callback, method: .get, headers: [.cookie: otherCookie])
            #expect(wrongState.status == .badRequest && Self.cookie(wrongState, named: "__Host-kb_console") == nil)

            let done = try await client.execute(uri: callback, method: .get, headers: [.cookie: signInCookie])
            #expect(done.status == .seeOther && Self.cookie(done, named: "__Host-kb_console") != nil)
            let again = try await client.execute(uri: callback, method: .get, headers: [.cookie: signInCookie])
            #expect(again.status == .badRequest && Self.cookie(again, named: "__Host-kb_console") == nil, "a sign-in completes once")

            // No consumer realm, no unknown issuer; return_to stays inside the console.
            #expect(try await client.execute(uri: "/console/sign-in?issuer=consumers", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/console/sign-in?issuer=nobody", method: .get).status == .badRequest)
        }
        #expect(ConsoleSignIn.consolePath("/console/issuers/contoso") == "/console/issuers/contoso")
        for hostile in ["//evil.example/console", "https://evil.example", "/console/../admin", "/consolex", "/console/%2e%2e", "/console//x", "/admin"] {
            #expect(ConsoleSignIn.consolePath(hostile) == nil, "\(hostile)")
        }
    }

    @Test("a flood of anonymous sign-in starts holds no memory and pushes no one's sign-in out; an altered sign-in cookie is refused")
    func signInFlood() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let (signInCookie, callback) = try await fixture.pendingSignIn(client, issuer: "operator")
            #expect(signInCookie.utf8.count < 1_024, "the sealed sign-in fits a cookie: \(signInCookie.utf8.count) bytes")

            // More starts than the server ever held in memory (1,000 before the cookie was sealed).
            for _ in 0..<1_100 {
                #expect(try await client.execute(uri: "/console/sign-in?issuer=operator", method: .get).status == .seeOther)
            }

            // One character of the sealed value changed: refused, and the real one still completes.
            let (name, value) = try #require(signInCookie.split(separator: "=", maxSplits: 1).map(String.init).splitPair)
            let middle = value.index(value.startIndex, offsetBy: value.count / 2)
            let altered = value.replacingCharacters(in: middle...middle, with: value[middle] == "A" ? "B" : "A")
            let refused = try await client.execute(uri: callback, method: .get, headers: [.cookie: "\(name)=\(altered)"])
            #expect(refused.status == .badRequest && Self.cookie(refused, named: "__Host-kb_console") == nil)
            let tooLong = try await client.execute(uri: callback, method: .get, headers: [.cookie: "\(name)=\(String(repeating: value, count: 8))"])
            #expect(tooLong.status == .badRequest)

            let done = try await client.execute(uri: callback, method: .get, headers: [.cookie: signInCookie])
            #expect(done.status == .seeOther && Self.cookie(done, named: "__Host-kb_console") != nil, "\(String(buffer: done.body))")
        }
    }

    @Test("a malformed query or form on the sign-in routes is answered as a console page with its status, not as JSON")
    func malformedSignInRequests() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            func expectPage(_ response: TestResponse, _ what: String) {
                #expect(response.status == .badRequest, "\(what): \(response.status)")
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(what): \(response.headers[.contentType] ?? "")")
                #expect(response.headers[.contentSecurityPolicy] == Self.csp, "\(what)")
            }
            expectPage(try await client.execute(uri: "/console/sign-in?issuer=%zz", method: .get), "sign-in")
            let (signInCookie, callback) = try await fixture.pendingSignIn(client, issuer: "operator")
            expectPage(try await client.execute(uri: callback + "&state=%zz", method: .get, headers: [.cookie: signInCookie]), "callback")
            let cookie = try await fixture.session(client, issuer: "operator")
            let signOut = try await client.execute(uri: "/console/sign-out", method: .post,
                                                   headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                                   body: ByteBuffer(string: "csrf_token=%zz"))
            expectPage(signOut, "sign-out")
            #expect(try await Self.get(client, "/console", cookie: cookie).status == .ok, "still signed in")
        }
    }

    @Test("sign-in returns to the console page it was asked from, and never elsewhere")
    func returnTo() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let kept = try await fixture.signIn(client, issuer: "contoso", returnTo: "/console/issuers/contoso")
            #expect(kept.headers[.location] == "/console/issuers/contoso")
            let hostile = try await fixture.signIn(client, issuer: "contoso", returnTo: "https://evil.example/")
            #expect(hostile.headers[.location] == "/console")
        }
    }

    @Test("sign-out needs the session's CSRF token; without it nothing changes, with it the session ends and its tokens are revoked")
    func signOut() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let cookie = try await fixture.session(client, issuer: "operator")
            let html = String(buffer: try await Self.get(client, "/console", cookie: cookie).body)
            let token = try #require(ProviderFixture.hiddenFields(html.replacingOccurrences(of: "><", with: ">\n<"))
                .first { $0.0 == "csrf_token" }?.1)
            var headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            for body in ["", "csrf_token=\(String(repeating: "A", count: 43))"] {
                let refused = try await client.execute(uri: "/console/sign-out", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(refused.status == .forbidden, "csrf '\(body)'")
                #expect(try await Self.get(client, "/console", cookie: cookie).status == .ok, "still signed in")
            }
            // The console's tokens of this session, in the operator issuer's ledger.
            let store = fixture.base.store
            let issued = try await Self.consoleIssuances(fixture, issuer: "operator")
            #expect(!issued.isEmpty)
            for record in issued {
                #expect(try await store.issuanceStatus(issuerID: "operator", tokenID: record.tokenID)?.revocationReason == nil)
            }
            headers[.cookie] = cookie
            let out = try await client.execute(uri: "/console/sign-out", method: .post, headers: headers,
                                               body: ByteBuffer(string: "csrf_token=\(token)"))
            for record in issued {
                #expect(try await store.issuanceStatus(issuerID: "operator", tokenID: record.tokenID)?.revocationReason != nil,
                        "sign-out revokes the session's tokens (\(record.kind))")
            }
            #expect(out.status == .seeOther && out.headers[.location] == "/console")
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("__Host-kb_console=; Max-Age=0") })
            let after = String(buffer: try await Self.get(client, "/console", cookie: cookie).body)
            #expect(after.contains("Sign in to the console"), "the old cookie no longer works")
        }
    }

    @Test("a session ends after 30 idle minutes and 8 hours after sign-in; access tokens are refreshed in between")
    func sessionLifetimes() async throws {
        let fixture = try await Fixture()
        defer { fixture.base.remove() }
        try await fixture.base.app.test(.router) { client in
            let idle = try await fixture.session(client, issuer: "operator")
            fixture.clock.advance(29 * 60)
            #expect(try await Self.get(client, "/console", cookie: idle).status == .ok, "29 idle minutes; the expired access token was refreshed")
            fixture.clock.advance(31 * 60)
            #expect(String(buffer: try await Self.get(client, "/console", cookie: idle).body).contains("Sign in to the console"), "31 idle minutes")

            let busy = try await fixture.session(client, issuer: "operator")
            var elapsed: TimeInterval = 0
            while elapsed + 25 * 60 < 8 * 3_600 {
                fixture.clock.advance(25 * 60)
                elapsed += 25 * 60
                #expect(try await Self.get(client, "/console", cookie: busy).status == .ok, "after \(elapsed / 60) minutes")
            }
            fixture.clock.advance(25 * 60)
            #expect(String(buffer: try await Self.get(client, "/console", cookie: busy).body).contains("Sign in to the console"), "past 8 hours")
        }
    }

    @Test("every console template renders, with its values HTML-escaped")
    func templatesRenderEscaped() {
        for (name, _) in ConsoleTemplates.sources {
            #expect(ConsoleTemplates.library.getTemplate(named: name) != nil, "\(name)")
        }
        let response = ConsoleResponses.message("Title", "<script>alert(1)</script>", status: .badRequest)
        #expect(response.headers[.contentSecurityPolicy] == Self.csp)
        let page = ConsoleTemplates.library.render(["heading": "h", "text": "<script>\"'&"], withTemplate: "message") ?? ""
        #expect(page.contains("&lt;script&gt;&quot;&#39;&amp;") && !page.contains("<script>"), "\(page)")
    }
}

private extension Array where Element == String {
    /// The two halves of a `name=value` split, if there are two.
    var splitPair: (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}
