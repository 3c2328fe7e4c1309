import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// Endpoints the Python interop test does not reach, over real HTTP on loopback: the admin API,
/// `/metrics` (off the public listener), client_secret_post and a malformed request, through the server's real HTTP parser.
@Suite("Provider: live server")
struct LiveServerTests {
    @Test("admin API, metrics, client_secret_post and a malformed request over real HTTP")
    func liveAdminAndMetrics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-live-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let adminToken = Secrets.random256(prefix: "kba_")
        let configuration = ServerConfiguration(publicURL: "https://id.keybound.test", adminToken: adminToken, passwordHashCost: 4)
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        let context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
        try await DevelopmentBootstrap.run(context: context, now: Date())
        let app = Application(router: KeyboundApplication.router(context: context), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            // The admin API registers a client_secret_post client; the secret is shown once.
            let created = try await client.execute(
                uri: "/admin/issuers/contoso/clients", method: .post,
                headers: [.authorization: "Bearer \(adminToken)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"client_id":"reporter","name":"Reporter","token_endpoint_auth_method":"client_secret_post","grant_types":["client_credentials"],"roles":["api://mail/Mail.Read.All"]}"#))
            #expect(created.status == .created)
            let secret = try #require(try ProviderFixture.json(created)["client_secret"]?.stringValue)
            let unauthorized = try await client.execute(uri: "/admin/issuers", method: .get, headers: [.authorization: "Bearer wrong"])
            #expect(unauthorized.status == .unauthorized)

            let token = try await ProviderFixture.post(client, "/contoso/token", [
                ("grant_type", "client_credentials"), ("scope", "api://mail/.default"), ("client_id", "reporter"), ("client_secret", secret)])
            #expect(token.status == .ok)
            let claims = ProviderFixture.claims(try #require(try ProviderFixture.json(token)["access_token"]?.stringValue))
            #expect(claims["sub"] == .string("reporter"))
            #expect(claims["roles"] == .array([.string("Mail.Read.All")]))

            let malformed = try await client.execute(uri: "/contoso/token", method: .post, headers: ProviderFixture.formHeaders,
                                                     body: ByteBuffer(string: "grant_type=client_credentials&grant_type=password"))
            #expect(malformed.status == .badRequest)
            #expect(try ProviderFixture.json(malformed)["error"] == .string("invalid_request"))

            // The public listener never serves the metrics; the metrics listener's router does.
            let publicMetrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(publicMetrics.status == .notFound)
            try await Application(router: KeyboundApplication.metricsRouter()).test(.router) { metricsClient in
                let metrics = try await metricsClient.execute(uri: "/metrics", method: .get)
                #expect(metrics.status == .ok)
                let text = String(buffer: metrics.body)
                #expect(text.contains("keybound_tokens_issued_total"))
                #expect(text.contains(#"issuer="contoso""#))
                #expect(!text.contains(secret))
            }
        }
    }
}
