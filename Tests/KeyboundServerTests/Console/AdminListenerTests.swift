import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) @testable import KeyboundServer
import KeyboundStore
import Logging
import Testing

/// `admin.listen` `HOST:PORT`: the admin API and the console leave the public listener (404 there)
/// for a listener of their own, which also serves the issuers' routes for the console's live views;
/// the console's cookies and sign-in callback follow the admin listener's URL.
@Suite("Console: the admin listener")
struct AdminListenerTests {
    static let token = String(repeating: "l", count: 40)

    @Test("with an admin listener of its own, /admin and /console are 404 on the public router and served on the admin one")
    func separateListener() async throws {
        let fixture = try await ProviderFixture(adminToken: Self.token) { $0.adminListen = .own(host: "127.0.0.1", port: 9465) }
        defer { fixture.remove() }
        let context = fixture.context
        _ = try await DevelopmentBootstrap.addConsoleUser("admin", to: try await context.manager.issuer(id: "contoso"), context: context, now: Date())
        let bearer: HTTPFields = [.authorization: "Bearer \(Self.token)"]

        try await Application(router: KeyboundApplication.router(context: context)).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/admin/issuers", method: .get, headers: bearer).status == .notFound)
            #expect(try await client.execute(uri: "/console", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/console/sign-in?issuer=contoso", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/contoso/jwks", method: .get).status == .ok, "the issuers stay on the public listener")
        }
        let admin = KeyboundApplication.router(context: context, adminExtensions: [], consoleExtensions: [], surface: .admin)
        try await Application(router: admin).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/admin/issuers", method: .get, headers: bearer).status == .ok)
            #expect(try await client.execute(uri: "/admin/issuers", method: .get).status == .unauthorized)
            let console = try await client.execute(uri: "/console", method: .get)
            #expect(console.status == .ok && String(buffer: console.body).contains("Sign in to the console"))
            #expect(try await client.execute(uri: "/contoso/key-events?after=0&follow=false", method: .get).status == .ok,
                    "the console's live views read the key events on the same origin")
            let start = try await client.execute(uri: "/console/sign-in?issuer=contoso", method: .get)
            #expect(start.status == .seeOther)
            let location = try #require(start.headers[.location])
            #expect(location.hasPrefix(fixture.configuration.issuerURL("contoso") + "/authorize?"), "sign-in stays at the issuer's public URL")
            #expect(location.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9465%2Fconsole%2Fcallback"), "\(location)")
        }
    }

    @Test("in development the admin API and the console stay on the public listener")
    func developmentDefault() async throws {
        let fixture = try await ProviderFixture(adminToken: Self.token)
        defer { fixture.remove() }
        #expect(fixture.configuration.adminListener == .publicListener)
        #expect(KeyboundApplication.adminApplication(context: fixture.context, logger: Logger(label: "test"), adminExtensions: [],
                                                     consoleExtensions: []) == nil)
        try await Application(router: KeyboundApplication.router(context: fixture.context)).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/admin/issuers", method: .get, headers: [.authorization: "Bearer \(Self.token)"]).status == .ok)
            #expect(try await client.execute(uri: "/console", method: .get).status == .ok)
        }
    }
}
