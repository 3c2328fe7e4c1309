import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundApp
import KeyboundHummingbird
import KeyboundValidation
import KeyboundMail
import KeyboundServer
import KeyboundStore
import Testing

/// RFC 9110 §9.3.2: every GET route of the provider and of Keybound Mail answers HEAD with the
/// status and headers of its GET and no body. The GET routes are read from the routers themselves;
/// each needs a probe here (a concrete request), so a new GET route fails this suite until it has one.
@Suite("HTTP: HEAD on every GET route")
struct HeadRequestTests {
    static let adminToken = String(repeating: "h", count: 40)

    /// A concrete request for one GET route.
    struct Probe {
        var uri: String
        var headers: HTTPFields = [:]
        /// Headers whose values may differ between two requests (a fresh CSRF cookie, a body that
        /// records the GET itself); their presence must still match.
        var volatile: Set<HTTPField.Name> = []
        /// The GET never ends (a live event stream): HEAD is checked against the stream's own
        /// headers, and the GET against HEAD on an error path that does end.
        var streamErrorURI: String? = nil
    }

    static func comparable(_ headers: HTTPFields, ignoring volatile: Set<HTTPField.Name>) -> [String: String] {
        var result: [String: String] = [:]
        // Date changes by the second; Transfer-Encoding is framing, which a HEAD answer MAY leave out (RFC 9112 §6.1).
        for field in headers where field.name != .date && field.name != .transferEncoding {
            result[field.name.canonicalName, default: ""] += volatile.contains(field.name) ? "<present>" : field.value + "\n"
        }
        return result
    }

    /// Sends HEAD and GET for `probe` and compares them.
    static func check(_ client: some TestClientProtocol, route: String, _ probe: Probe) async throws {
        let head = try await client.execute(uri: probe.uri, method: .head, headers: probe.headers)
        #expect(head.body.readableBytes == 0, "HEAD \(route) has a body")
        if let errorURI = probe.streamErrorURI {
            #expect(head.status == .ok, "HEAD \(route)")
            #expect(head.headers[.contentType] == "text/event-stream", "HEAD \(route)")
            let headError = try await client.execute(uri: errorURI, method: .head, headers: probe.headers)
            let getError = try await client.execute(uri: errorURI, method: .get, headers: probe.headers)
            #expect(headError.status == getError.status && getError.status == .badRequest, "\(route) error path")
            #expect(headError.body.readableBytes == 0, "HEAD \(route) error path has a body")
            #expect(comparable(headError.headers, ignoring: []) == comparable(getError.headers, ignoring: []), "\(route) error path")
            return
        }
        let get = try await client.execute(uri: probe.uri, method: .get, headers: probe.headers)
        #expect(head.status == get.status, "\(route): HEAD \(head.status) but GET \(get.status)")
        #expect(get.status != .methodNotAllowed && get.status.code < 500, "\(route): GET \(get.status)")
        #expect(comparable(head.headers, ignoring: probe.volatile) == comparable(get.headers, ignoring: probe.volatile),
                "\(route): HEAD headers differ from GET's")
        if get.headers[.contentLength] == nil {
            // A streamed GET: its length is unknown, so HEAD must not claim one (least of all 0).
            #expect(head.headers[.contentLength] == nil, "\(route): HEAD claims a length the GET does not have")
        } else if !probe.volatile.contains(.contentLength) {
            #expect(head.headers[.contentLength] == String(get.body.readableBytes), "\(route): HEAD's Content-Length is GET's body length")
        }
    }

    static func getRoutes<Context>(_ router: HeadAnsweringRouter<Context>) -> Set<String> {
        Set(router.routes.filter { $0.method == .get }.map(\.path.description))
    }

    @Test("the provider: every GET route (discovery, JWKS, authorize, userinfo, key events, health, admin, and metrics on its own listener) answers HEAD")
    func provider() async throws {
        let fixture = try await ProviderFixture(adminToken: Self.adminToken)
        defer { fixture.remove() }
        let admin: HTTPFields = [.authorization: "Bearer \(Self.adminToken)"]
        let daemon = ProviderFixture.basic("daemon", ProviderFixture.secret)
        let router = ProviderAssembly.router(context: fixture.context)
        let routes = Self.getRoutes(router)
        try await Application(router: router).test(.live) { client in
            let user = try #require(try await ProviderFixture.codeFlow(client, issuer: "contoso")["access_token"]?.stringValue)
            let probes: [String: Probe] = [
                "/health": Probe(uri: "/health"),
                "/health/live": Probe(uri: "/health/live"),
                "/health/ready": Probe(uri: "/health/ready"),
                "/{issuer}/.well-known/openid-configuration": Probe(uri: "/contoso/.well-known/openid-configuration"),
                "/{issuer}/.well-known/oauth-authorization-server": Probe(uri: "/contoso/.well-known/oauth-authorization-server"),
                "/.well-known/oauth-authorization-server/**": Probe(uri: "/.well-known/oauth-authorization-server/contoso"),
                "/{issuer}/jwks": Probe(uri: "/contoso/jwks"),
                "/{issuer}/sign-in.css": Probe(uri: "/contoso/sign-in.css"),
                "/{issuer}/key-events": Probe(uri: "/contoso/key-events?after=0&follow=false"),
                // daemon serves contoso's api://mail, so it may read contoso's token events.
                "/{issuer}/token-events": Probe(uri: "/contoso/token-events?after=0&follow=false", headers: [.authorization: daemon]),
                "/{issuer}/authorize": Probe(uri: "/contoso/authorize?" + ProviderFixture.authorizeQuery(), volatile: [.setCookie]),
                "/{issuer}/userinfo": Probe(uri: "/contoso/userinfo", headers: [.authorization: "Bearer \(user)"]),
                "/admin": Probe(uri: "/admin", headers: admin),
                "/admin/**": Probe(uri: "/admin/no-such-route", headers: admin),
                "/admin/issuers": Probe(uri: "/admin/issuers", headers: admin),
                "/admin/issuers/{issuer}": Probe(uri: "/admin/issuers/contoso", headers: admin),
                // Each key's age is in the body, in whole seconds: HEAD and GET a second apart differ in length.
                "/admin/issuers/{issuer}/keys": Probe(uri: "/admin/issuers/contoso/keys", headers: admin, volatile: [.contentLength]),
                "/admin/issuers/{issuer}/clients": Probe(uri: "/admin/issuers/contoso/clients", headers: admin),
                "/admin/issuers/{issuer}/clients/{client}": Probe(uri: "/admin/issuers/contoso/clients/web", headers: admin),
                "/admin/issuers/{issuer}/resources": Probe(uri: "/admin/issuers/contoso/resources", headers: admin),
                "/admin/issuers/{issuer}/resources/{audience}": Probe(uri: "/admin/issuers/contoso/resources/api%3A%2F%2Fmail", headers: admin),
                "/admin/issuers/{issuer}/users": Probe(uri: "/admin/issuers/contoso/users", headers: admin),
                "/admin/issuers/{issuer}/users/{username}": Probe(uri: "/admin/issuers/contoso/users/user", headers: admin),
                "/admin/events": Probe(uri: "/admin/events", headers: admin),
                "/admin/admin-log": Probe(uri: "/admin/admin-log", headers: admin),
                "/admin/issuers/{issuer}/admin-log": Probe(uri: "/admin/issuers/contoso/admin-log", headers: admin),
                "/admin/hunt": Probe(uri: "/admin/hunt", headers: admin),
                "/admin/incidents": Probe(uri: "/admin/incidents", headers: admin),
                "/admin/incidents/{incident}": Probe(uri: "/admin/incidents/INC-1", headers: admin),
                "/admin/incidents/{incident}/document": Probe(uri: "/admin/incidents/INC-1/document?name=timeline.md", headers: admin),
                "/admin/alerts": Probe(uri: "/admin/alerts", headers: admin),
                "/admin/alerts/stream": Probe(uri: "/admin/alerts/stream", headers: admin, streamErrorURI: "/admin/alerts/stream?after=-1"),
                // The console: without a session, its pages are the sign-in page.
                "/console": Probe(uri: "/console"),
                "/console/console.css": Probe(uri: "/console/console.css"),
                "/console/console.js": Probe(uri: "/console/console.js"),
                "/console/alerts": Probe(uri: "/console/alerts"),
                "/console/alerts/stream": Probe(uri: "/console/alerts/stream"),
                "/console/issuers/{issuer}/clients": Probe(uri: "/console/issuers/contoso/clients"),
                "/console/issuers/{issuer}/users": Probe(uri: "/console/issuers/contoso/users"),
                "/console/issuers/{issuer}/resources": Probe(uri: "/console/issuers/contoso/resources"),
                "/console/issuers/{issuer}/alerts": Probe(uri: "/console/issuers/contoso/alerts"),
                // contoso has no console client in this fixture: a 400 page, and no cookie.
                "/console/sign-in": Probe(uri: "/console/sign-in?issuer=contoso"),
                "/console/callback": Probe(uri: "/console/callback?code=x&state=y"),
                "/console/issuers/{issuer}": Probe(uri: "/console/issuers/contoso"),
                "/console/issuers/{issuer}/admin-log": Probe(uri: "/console/issuers/contoso/admin-log"),
                "/console/issuers/{issuer}/keys/{kid}/revoke": Probe(uri: "/console/issuers/contoso/keys/k1/revoke"),
                // KeyboundApp's pages: the hunt, incidents and notices.
                "/console/hunt": Probe(uri: "/console/hunt"),
                "/console/notices": Probe(uri: "/console/notices"),
                "/console/incidents": Probe(uri: "/console/incidents"),
                "/console/incidents/{incident}": Probe(uri: "/console/incidents/INC-1"),
                "/console/incidents/{incident}/state": Probe(uri: "/console/incidents/INC-1/state"),
                "/console/incidents/{incident}/document": Probe(uri: "/console/incidents/INC-1/document?name=timeline.md"),
                "/console/issuers/{issuer}/keys/{kid}/respond": Probe(uri: "/console/issuers/contoso/keys/k1/respond"),
            ]
            #expect(routes.subtracting(probes.keys).isEmpty, "GET routes without a HEAD probe: \(routes.subtracting(probes.keys).sorted())")
            #expect(Set(probes.keys).subtracting(routes).isEmpty, "probes for routes that are gone: \(Set(probes.keys).subtracting(routes).sorted())")
            for route in routes.sorted() {
                guard let probe = probes[route] else { continue }
                try await Self.check(client, route: route, probe)
            }
            // Unauthenticated HEAD gets GET's refusal, headers included (WWW-Authenticate).
            try await Self.check(client, route: "/admin/issuers (no token)", Probe(uri: "/admin/issuers"))
            try await Self.check(client, route: "/{issuer}/userinfo (no token)", Probe(uri: "/contoso/userinfo"))
            try await Self.check(client, route: "/{issuer}/token-events (no credentials)", Probe(uri: "/contoso/token-events?follow=false"))
        }
        // The metrics listener's one route answers HEAD too.
        let metricsRouter = KeyboundApplication.metricsRouter()
        #expect(Self.getRoutes(metricsRouter) == ["/metrics"])
        try await Application(router: metricsRouter).test(.router) { client in
            try await Self.check(client, route: "/metrics", Probe(uri: "/metrics", volatile: [.contentLength]))
        }
        // HEAD is a GET route's only extra method: POST-only routes do not answer it.
        try await Application(router: KeyboundApplication.router(context: fixture.context)).test(.live) { client in
            let response = try await client.execute(uri: "/contoso/token", method: .head)
            #expect(response.status == .notFound || response.status == .methodNotAllowed)
        }
    }

    @Test("Keybound Mail: every GET route answers HEAD, authenticated and audited like its GET")
    func mail() async throws {
        let fixture = try await MailFixture()
        defer { fixture.remove() }
        let router = fixture.mail.router()
        let providerApp = fixture.providerApp
        let tokens = try await providerApp.test(.router) { provider in
            (user: try await MailFixture.userToken(provider, issuer: "contoso"),
             app: try await MailFixture.appToken(provider, issuer: "contoso"),
             auditor: try await MailFixture.appToken(provider, issuer: "contoso", clientID: "auditor"))
        }
        let routes = Self.getRoutes(router)
        try await Application(router: router).test(.live) { mail in
            let bearer = { @Sendable (token: String) -> HTTPFields in [.authorization: "Bearer \(token)"] }
            let list = try await mail.execute(uri: "/me/messages", method: .get, headers: bearer(tokens.user))
            let firstID = try #require(try ProviderFixture.json(list)["value"]?.arrayValue?.first?.objectValue?["id"]?.stringValue)
            let probes: [String: Probe] = [
                "/health": Probe(uri: "/health"),
                "/me/messages": Probe(uri: "/me/messages", headers: bearer(tokens.user)),
                "/me/messages/{id}": Probe(uri: "/me/messages/\(firstID)", headers: bearer(tokens.user)),
                "/users/{user}/messages": Probe(uri: "/users/\(MailFixture.otherUserAddress)/messages", headers: bearer(tokens.app)),
                // Each read of the feed is itself audited, so the feed (and its length) grows between the two.
                "/audit/records": Probe(uri: "/audit/records", headers: bearer(tokens.auditor), volatile: [.contentLength]),
            ]
            #expect(routes == Set(probes.keys), "GET routes and probes differ: \(routes.symmetricDifference(probes.keys).sorted())")
            for route in routes.sorted() {
                guard let probe = probes[route] else { continue }
                try await Self.check(client: mail, route: route, probe)
            }
            try await Self.check(client: mail, route: "/me/messages (no token)", Probe(uri: "/me/messages"))
        }
        // A HEAD is recorded as the read it is: one GET for the id, then the GET and the HEAD of the check.
        let records = try await fixture.mail.audit.records(after: 0, limit: 10_000)
        #expect(records.filter { $0.operation == MailOperation.listMessages.rawValue && $0.verdict == .allowed && $0.resource != nil
            && $0.tokenSubject == "contoso-user-subject" }.count == 3)
    }
}

extension HeadRequestTests {
    static func check(client: some TestClientProtocol, route: String, _ probe: Probe) async throws {
        try await check(client, route: route, probe)
    }
}
