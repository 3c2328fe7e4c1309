import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// The sign-in form's CSRF token: an HMAC the server computes over its cookie's random value and
/// the authorization request, so a pair the server did not mint, or a token minted for another
/// request, is refused; and the cookie's name and attributes.
@Suite("Provider: authorize endpoint CSRF")
struct AuthorizeCSRFTests {
    /// An authorization request's query with the parameters the token is bound to.
    static func query(clientID: String = "web", redirect: String = ProviderFixture.redirect, state: String? = "st-123",
                      challenge: String = ProviderFixture.challenge) -> String {
        var parameters = [("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirect), ("scope", "openid"),
                          ("code_challenge", challenge), ("code_challenge_method", "S256")]
        if let state { parameters.append(("state", state)) }
        return String(buffer: ProviderFixture.form(parameters))
    }

    /// GET the login page: its hidden fields (the csrf_token among them) and the cookie as `name=value`.
    static func page(_ client: some TestClientProtocol, issuer: String = "contoso", query: String) async throws
        -> (fields: [(String, String)], cookie: String, setCookie: String) {
        let page = try await client.execute(uri: "/\(issuer)/authorize?\(query)", method: .get)
        #expect(page.status == .ok)
        let setCookie = try #require(page.headers[.setCookie])
        let cookie = String(setCookie.split(separator: ";")[0])
        return (ProviderFixture.hiddenFields(String(buffer: page.body)), cookie, setCookie)
    }

    static func post(_ client: some TestClientProtocol, issuer: String = "contoso", fields: [(String, String)], cookie: String,
                     password: String = ProviderFixture.password) async throws -> TestResponse {
        var headers = ProviderFixture.formHeaders
        headers[.cookie] = cookie
        let body = ProviderFixture.form(fields + [("username", "user"), ("password", password)])
        return try await client.execute(uri: "/\(issuer)/authorize", method: .post, headers: headers, body: body)
    }

    static func csrfToken(_ fields: [(String, String)]) -> String? { fields.first { $0.0 == "csrf_token" }?.1 }

    static func replacingToken(_ fields: [(String, String)], with token: String) -> [(String, String)] {
        fields.filter { $0.0 != "csrf_token" } + [("csrf_token", token)]
    }

    @Test("a cookie and csrf_token that are equal but were not minted by the server (what the old double-submit accepted): 403")
    func unmintedPair() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let (fields, _, _) = try await Self.page(client, query: Self.query())
            // The attacker's value has the shape of a real one (43 base64url characters); it is sent under
            // both the old and the new cookie name, so only the check itself can refuse it.
            for chosen in [Secrets.random256(), "attacker-chosen", "x"] {
                let cookie = "kb_csrf=\(chosen); __Host-kb_csrf=\(chosen)"
                let response = try await Self.post(client, fields: Self.replacingToken(fields, with: chosen), cookie: cookie)
                #expect(response.status == .forbidden, "\(chosen)")
                #expect(response.headers[.location] == nil)
            }
        }
    }

    @Test("a token minted for one authorization request is refused for another (state, redirect_uri, client, code_challenge, issuer)")
    func tokenBoundToRequest() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let second = "http://127.0.0.1:8400/other-callback"
        for issuer in ["contoso", "consumers"] {
            try fixture.store.insert(ClientRecord(issuerID: issuer, clientID: "multi", name: "Multi", authenticationMethod: .none,
                                                          redirectURIs: [ProviderFixture.redirect, second],
                                                          grantTypes: ["authorization_code"], createdAt: Date()))
        }
        let otherChallenge = Base64URL.encode(Array(repeating: UInt8(7), count: 32))
        try await fixture.app.test(.router) { client in
            let minted = try await Self.page(client, query: Self.query(clientID: "multi"))
            let token = try #require(Self.csrfToken(minted.fields))
            let others: [(String, String, String)] = [
                ("another state", "contoso", Self.query(clientID: "multi", state: "st-999")),
                ("no state", "contoso", Self.query(clientID: "multi", state: nil)),
                ("another redirect_uri", "contoso", Self.query(clientID: "multi", redirect: second)),
                ("another client", "contoso", Self.query(clientID: "web")),
                ("another code_challenge", "contoso", Self.query(clientID: "multi", challenge: otherChallenge)),
                ("another issuer", "consumers", Self.query(clientID: "multi")),
            ]
            for (what, issuer, query) in others {
                let other = try await Self.page(client, issuer: issuer, query: query)
                let response = try await Self.post(client, issuer: issuer, fields: Self.replacingToken(other.fields, with: token),
                                                   cookie: minted.cookie)
                #expect(response.status == .forbidden, "\(what): \(response.status)")
                #expect(response.headers[.location] == nil, "\(what)")
            }
            // The token works for the request it was minted for: the refusals above were the binding.
            let good = try await Self.post(client, fields: minted.fields, cookie: minted.cookie)
            #expect(good.status == .seeOther)
            #expect(ProviderFixture.redirectParameters(good)["code"] != nil)
        }
    }

    /// The attributes of a Set-Cookie value, lowercased, with the name=value pair first.
    static func attributes(_ setCookie: String) -> [String] {
        setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test("over https the cookie is __Host-kb_csrf with Path=/, Secure, HttpOnly, SameSite=Strict and no Domain",
          arguments: ["https://id.keybound.test", "http://id.internal:8080"])
    func secureCookie(publicURL: String) async throws {
        let fixture = try await ProviderFixture(publicURL: publicURL)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let page = try await Self.page(client, query: Self.query())
            let attributes = Self.attributes(page.setCookie)
            #expect(page.cookie.hasPrefix("__Host-kb_csrf="), "\(page.setCookie)")
            #expect(page.cookie.count == "__Host-kb_csrf=".count + 43, "\(page.setCookie)")
            for required in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
                #expect(attributes.contains(required), "\(required) missing: \(page.setCookie)")
            }
            #expect(!attributes.contains { $0.lowercased().hasPrefix("domain") }, "\(page.setCookie)")
            // The form posted with it works, and the success clears the same cookie.
            let good = try await Self.post(client, fields: page.fields, cookie: page.cookie)
            #expect(good.status == .seeOther)
            let cleared = try #require(good.headers[.setCookie])
            #expect(cleared.hasPrefix("__Host-kb_csrf=;"), "\(cleared)")
            #expect(Self.attributes(cleared).contains("Max-Age=0"))
            #expect(Self.attributes(cleared).contains("Secure"))
            #expect(Self.attributes(cleared).contains("Path=/"))
        }
    }

    @Test("development over http on loopback: kb_csrf without Secure (a __Host- cookie needs Secure), still HttpOnly and SameSite=Strict",
          arguments: ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])
    func loopbackDevelopmentCookie(publicURL: String) async throws {
        let fixture = try await ProviderFixture(publicURL: publicURL)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let page = try await Self.page(client, query: Self.query())
            let attributes = Self.attributes(page.setCookie)
            #expect(page.cookie.hasPrefix("kb_csrf="), "\(page.setCookie)")
            #expect(!attributes.contains("Secure"), "\(page.setCookie)")
            for required in ["Path=/", "HttpOnly", "SameSite=Strict"] {
                #expect(attributes.contains(required), "\(required) missing: \(page.setCookie)")
            }
            let good = try await Self.post(client, fields: page.fields, cookie: page.cookie)
            #expect(good.status == .seeOther)
        }
    }
}
