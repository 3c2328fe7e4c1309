import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// While the provider's database cannot take writes, issuance fails closed with 503 and an OAuth
/// error body (`temporarily_unavailable`, `Retry-After`), never a 500; discovery and JWKS keep serving.
@Suite("Provider: a database outage")
struct StoreOutageTests {
    @Test("token requests get 503 temporarily_unavailable with Retry-After; discovery and JWKS still answer")
    func failsClosed() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let app = Application(router: KeyboundApplication.router(context: fixture.context))
        try await app.test(.router) { client in
            // Warm: discovery and JWKS are in memory, and one token is issued normally.
            _ = try await ProviderFixture.clientCredentials(client, issuer: "contoso")
            #expect(try await client.execute(uri: "/contoso/.well-known/openid-configuration", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/contoso/jwks", method: .get).status == .ok)

            // The database stops taking writes (as a full disk or a lost primary would). Closing
            // the pool instead would leave GRDB's readers waiting forever on the closed pool.
            try await fixture.store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = ON") }
            let response = try await ProviderFixture.post(client, "/contoso/token",
                                                          [("grant_type", "client_credentials"), ("scope", "api://mail/.default")],
                                                          authorization: ProviderFixture.basic("daemon", ProviderFixture.secret))
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            let body = try ProviderFixture.json(response)
            #expect(body["error"] == .string("temporarily_unavailable"), "\(body)")
            #expect(!String(buffer: response.body).contains(fixture.directory.path))
            #expect(try await client.execute(uri: "/contoso/.well-known/openid-configuration", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/contoso/jwks", method: .get).status == .ok)
        }
    }
}
