import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// The sign-in page and the authorization request rules: what is shown as a page (never
/// redirected), what goes back to the client, and what a sign-in must get right before a code is issued.
@Suite("Provider: authorize endpoint")
struct AuthorizeEndpointTests {
    static let encodedRedirect = "http%3A%2F%2F127.0.0.1%3A8400%2Fcallback"

    static func page(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// The `<p class="error">` line of a page.
    static func errorLine(_ html: String) -> String? {
        html.split(separator: "\n").first { $0.hasPrefix("<p class=\"error\"") }.map(String.init)
    }

    /// GET the login page; returns the hidden fields and the CSRF cookie (`name=value`).
    static func loginForm(_ client: some TestClientProtocol, issuer: String = "contoso", query: String = ProviderFixture.authorizeQuery())
        async throws -> (fields: [(String, String)], cookie: String) {
        let page = try await client.execute(uri: "/\(issuer)/authorize?\(query)", method: .get)
        #expect(page.status == .ok)
        let cookie = page.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? ""
        #expect(cookie.hasPrefix("__Host-kb_csrf="))
        return (ProviderFixture.hiddenFields(Self.page(page)), cookie)
    }

    static func postLogin(_ client: some TestClientProtocol, issuer: String = "contoso", fields: [(String, String)],
                          cookie: String?) async throws -> TestResponse {
        var headers = ProviderFixture.formHeaders
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: "/\(issuer)/authorize", method: .post, headers: headers, body: ProviderFixture.form(fields))
    }

    @Test("an unknown client, a client of another issuer, or an unregistered redirect_uri: an error page, never a redirect",
          arguments: [
              "response_type=code&client_id=nobody&redirect_uri=\(encodedRedirect)",
              "response_type=code&client_id=consumer-only&redirect_uri=\(encodedRedirect)",
              "response_type=token&client_id=web&redirect_uri=https%3A%2F%2Fevil.example%2Fcallback",
              "response_type=code&client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fcallback%2F",
              "response_type=code&client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fcallback%3Fnext%3Dhttps%3A%2F%2Fevil.example",
              "response_type=code&client_id=web&redirect_uri=HTTP%3A%2F%2F127.0.0.1%3A8400%2Fcallback",
              "response_type=code&client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fcallback%2F..%2Fevil",
              "response_type=code&client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fcallback%23frag",
              "response_type=code&client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%40evil.example%3A8400%2Fcallback",
          ])
    func untrustworthyRequests(query: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.insert(ClientRecord(issuerID: "consumers", clientID: "consumer-only", name: "Consumer only",
                                                      authenticationMethod: .none, redirectURIs: [ProviderFixture.redirect],
                                                      grantTypes: ["authorization_code"], createdAt: Date()))
        try await fixture.app.test(.router) { client in
            let response = try await client.execute(uri: "/contoso/authorize?" + query + "&state=st-123&prompt=none", method: .get)
            #expect(response.status == .badRequest)
            #expect(response.headers[.location] == nil)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(response.headers[.setCookie] == nil)
            #expect(!Self.page(response).contains("evil.example"))
        }
    }

    @Test("response_type=token and prompt=none go back to the client with the error, state and iss")
    func redirectedErrors() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let token = ProviderFixture.authorizeQuery().replacingOccurrences(of: "response_type=code", with: "response_type=token")
            for (query, error) in [(token, "unsupported_response_type"),
                                   (ProviderFixture.authorizeQuery(extra: [("prompt", "none")]), "login_required"),
                                   (ProviderFixture.authorizeQuery(extra: [("prompt", "login none")]), "login_required")] {
                let response = try await client.execute(uri: "/contoso/authorize?" + query, method: .get)
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix(ProviderFixture.redirect + "?") == true)
                #expect(response.headers[.cacheControl] == "no-store")
                let parameters = ProviderFixture.redirectParameters(response)
                #expect(parameters["error"] == error)
                #expect(parameters["state"] == "st-123")
                #expect(parameters["iss"] == "https://id.keybound.test/contoso")
                #expect(parameters["code"] == nil)
            }
        }
    }

    @Test("a wrong password, an unknown user and a disabled user get the same 401 page and no code")
    func wrongCredentials() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.insert(UserRecord(issuerID: "contoso", subject: "ghost-subject", username: "ghost",
                                                    passwordHash: PasswordHasher.hash(ProviderFixture.password, cost: 4),
                                                    displayName: "Ghost", email: nil, createdAt: Date(), isDisabled: true))
        try await fixture.app.test(.router) { client in
            var lines: [String] = []
            for (username, password) in [("user", "wrong password"), ("nobody", ProviderFixture.password), ("ghost", ProviderFixture.password),
                                         ("user", "")] {
                let response = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(),
                                                                username: username, password: password)
                #expect(response.status == .unauthorized, "\(username)")
                #expect(response.headers[.location] == nil)
                let html = Self.page(response)
                #expect(!html.contains("code="))
                // The form is shown again, ready for another attempt.
                #expect(ProviderFixture.hiddenFields(html).contains { $0.0 == "csrf_token" })
                lines.append(Self.errorLine(html) ?? "")
            }
            #expect(lines.allSatisfy { $0.contains("Wrong username or password.") })
            #expect(Set(lines).count == 1, "the messages differ: \(lines)")
        }
    }

    @Test("a missing CSRF cookie, a mismatched csrf_token or another page's cookie: 403, no code")
    func csrf() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let (fields, cookie) = try await Self.loginForm(client)
            let credentials = [("username", "user"), ("password", ProviderFixture.password)]
            let (_, otherCookie) = try await Self.loginForm(client)
            let mismatched = fields.map { $0.0 == "csrf_token" ? ($0.0, "forged") : $0 }
            let attempts: [(fields: [(String, String)], cookie: String?)] = [
                (fields + credentials, nil),
                (mismatched + credentials, cookie),
                (fields + credentials, otherCookie),
                (fields.filter { $0.0 != "csrf_token" } + credentials, cookie),
                (fields + credentials, "__Host-kb_csrf="),
            ]
            for attempt in attempts {
                let response = try await Self.postLogin(client, fields: attempt.fields, cookie: attempt.cookie)
                #expect(response.status == .forbidden)
                #expect(response.headers[.location] == nil)
            }
            // The untouched form still works: the failures above were the CSRF check, nothing else.
            let good = try await Self.postLogin(client, fields: fields + credentials, cookie: cookie)
            #expect(good.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(good)["code"] != nil)
            #expect(good.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test("a third-party client needs consent: without it the page asks again; with it a code is issued")
    func consent() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let query = ProviderFixture.authorizeQuery(clientID: "partner")
            let page = try await client.execute(uri: "/contoso/authorize?" + query, method: .get)
            #expect(Self.page(page).contains("name=\"consent\""))
            #expect(Self.page(page).contains("Partner App"))
            let asked = try await ProviderFixture.signIn(client, issuer: "contoso", query: query)
            #expect(asked.status == .ok)
            #expect(asked.headers[.location] == nil)
            #expect(Self.errorLine(Self.page(asked))?.contains("Allow this") == true)
            #expect(Self.page(asked).contains("name=\"consent\""))
            let granted = try await ProviderFixture.signIn(client, issuer: "contoso", query: query, consent: true)
            #expect(granted.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(granted)["code"] != nil)
            // A first-party client is never asked.
            let firstParty = try await client.execute(uri: "/contoso/authorize?" + ProviderFixture.authorizeQuery(), method: .get)
            #expect(!Self.page(firstParty).contains("name=\"consent\""))
        }
    }

    @Test("a user of consumers cannot sign in at contoso")
    func crossIssuerUser() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try fixture.store.insert(UserRecord(issuerID: "consumers", subject: "alice-subject", username: "alice",
                                                    passwordHash: PasswordHasher.hash("alice's password", cost: 4),
                                                    displayName: "Alice", email: nil, createdAt: Date()))
        try await fixture.app.test(.router) { client in
            let there = try await ProviderFixture.signIn(client, issuer: "contoso", query: ProviderFixture.authorizeQuery(),
                                                         username: "alice", password: "alice's password")
            #expect(there.status == .unauthorized)
            #expect(there.headers[.location] == nil)
            let home = try await ProviderFixture.signIn(client, issuer: "consumers", query: ProviderFixture.authorizeQuery(),
                                                        username: "alice", password: "alice's password")
            #expect(home.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(home)["iss"] == "https://id.keybound.test/consumers")
        }
    }

    @Test("the login page escapes a hostile state; the redirect returns it verbatim and it cannot inject parameters")
    func hostileState() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            for state in ["\"><script>alert(1)</script>", "x&code=evil&iss=https://evil.example", "a+b c%20d#e'f"] {
                let query = String(buffer: ProviderFixture.form([
                    ("response_type", "code"), ("client_id", "web"), ("redirect_uri", ProviderFixture.redirect), ("scope", "openid"),
                    ("state", state), ("code_challenge", ProviderFixture.challenge), ("code_challenge_method", "S256")]))
                let page = try await client.execute(uri: "/contoso/authorize?" + query, method: .get)
                let html = Self.page(page)
                #expect(page.status == .ok)
                #expect(!html.contains("<script"))
                if state.hasPrefix("\"") { #expect(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"")) }
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(page.headers[.xFrameOptions] == "DENY")
                let login = try await ProviderFixture.signIn(client, issuer: "contoso", query: query)
                #expect(login.status == .seeOther)
                let location = try #require(login.headers[.location])
                let items = URLComponents(string: location)?.queryItems ?? []
                #expect(items.filter { $0.name == "state" }.map(\.value) == [state], "\(location)")
                #expect(items.filter { $0.name == "code" }.count == 1, "\(location)")
                #expect(items.filter { $0.name == "iss" }.map(\.value) == ["https://id.keybound.test/contoso"], "\(location)")
            }
        }
    }

    @Test("the login page has no inline style: its CSS is the issuer's /sign-in.css, and its CSP allows styles from its own origin only")
    func stylesheetFile() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let page = try await client.execute(uri: "/contoso/authorize?" + ProviderFixture.authorizeQuery(), method: .get)
            let html = Self.page(page)
            #expect(page.status == .ok)
            #expect(!html.contains("<style") && !html.contains("style="), "no inline style")
            #expect(html.contains("<link rel=\"stylesheet\" href=\"/contoso/sign-in.css\">"))
            #expect(page.headers[.contentSecurityPolicy] == "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
            let css = try await client.execute(uri: "/contoso/sign-in.css", method: .get)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(String(buffer: css.body).contains("label{display:block"))
            #expect(try await client.execute(uri: "/no-such-issuer/sign-in.css", method: .get).status == .notFound)
        }
    }
}
