import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// `keybound serve`'s endpoints in-process: health, per-issuer discovery and JWKS, each issuer
/// publishing only its own keys, OAuth error bodies for unknown issuers.
@Suite("Server: discovery, JWKS and health")
struct ServerEndpointTests {
    /// A fresh store with the development issuers and a router over it.
    struct Setup {
        let directory: URL
        let manager: KeyManager
        let context: ProviderContext
        let configuration = ServerConfiguration(publicURL: "https://id.keybound.test", passwordHashCost: 4)
        let now = Date(timeIntervalSince1970: 1_800_000_000)

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-server-\(UUID().uuidString)")
            manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
            context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
            try await DevelopmentBootstrap.run(context: context, now: now)
        }

        var app: some ApplicationProtocol {
            Application(router: KeyboundApplication.router(context: context))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func json(_ buffer: ByteBuffer) throws -> JSONObject {
        try StrictJSONParser.parseObject(Array(buffer.readableBytesView))
    }

    @Test("health answers ok")
    func health() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        try await setup.app.test(.router) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(try Self.json(response.body)["status"] == .string("ok"))
        }
    }

    @Test("a live server on loopback answers health and JWKS over real HTTP")
    func liveServer() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        let app = Application(router: KeyboundApplication.router(context: setup.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let jwks = try await client.execute(uri: "/contoso/jwks", method: .get)
            #expect(jwks.status == .ok)
            let set = try JWKSet(json: Array(jwks.body.readableBytesView))
            // The access-token key and the ID-token key, both bound to contoso.
            #expect(set.keys.map(\.issuer) == ["https://id.keybound.test/contoso", "https://id.keybound.test/contoso"])
            #expect(Set(set.keys.map(\.algorithm)) == [.es256, .rs256])
        }
    }

    @Test("each issuer has its own discovery document and issuer URL", arguments: ["consumers", "contoso"])
    func discovery(issuerID: String) async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        try await setup.app.test(.router) { client in
            let response = try await client.execute(uri: "/\(issuerID)/.well-known/openid-configuration", method: .get)
            #expect(response.status == .ok)
            let document = try Self.json(response.body)
            #expect(document["issuer"] == .string("https://id.keybound.test/\(issuerID)"))
            #expect(document["jwks_uri"] == .string("https://id.keybound.test/\(issuerID)/jwks"))
            let metadata = try await client.execute(uri: "/\(issuerID)/.well-known/oauth-authorization-server", method: .get)
            #expect(try Self.json(metadata.body)["issuer"] == .string("https://id.keybound.test/\(issuerID)"))
        }
    }

    @Test("an unknown issuer gets 404 with an OAuth error body")
    func unknownIssuer() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        try await setup.app.test(.router) { client in
            for path in ["/nobody/jwks", "/nobody/.well-known/openid-configuration", "/..%2Fconsumers/jwks"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(try Self.json(response.body)["error"] == .string("not_found"), "\(path)")
            }
        }
    }

    @Test("each JWKS holds only its own issuer's keys, and caches no longer than the lead time")
    func separateKeySets() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        try await setup.app.test(.router) { client in
            var kidsByIssuer: [String: Set<String>] = [:]
            for issuerID in ["consumers", "contoso"] {
                let response = try await client.execute(uri: "/\(issuerID)/jwks", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/jwk-set+json")
                let maxAge = response.headers[.cacheControl].flatMap { $0.split(separator: "=").last.flatMap { Int($0) } }
                #expect(maxAge != nil && Double(maxAge ?? .max) <= IssuerRecord.defaultPublishLeadTime)
                let set = try JWKSet(json: Array(response.body.readableBytesView))
                #expect(!set.keys.isEmpty)
                for key in set.keys {
                    #expect(key.issuer == "https://id.keybound.test/\(issuerID)")
                    #expect(!key.containedPrivateKeyMembers)
                }
                kidsByIssuer[issuerID] = Set(set.keys.compactMap(\.keyID))
            }
            #expect(kidsByIssuer["consumers"]!.isDisjoint(with: kidsByIssuer["contoso"]!))
        }
    }

    @Test("the JWKS follows the lifecycle: pending keys appear, revoked keys vanish at once")
    func keySetFollowsLifecycle() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        let active = try await #require(try setup.manager.keys(issuerID: "consumers").first { $0.state == .active && $0.purpose == .accessToken })
        try await setup.manager.rotate(issuerID: "consumers", purposes: [.accessToken], now: setup.now.addingTimeInterval(60))
        let pending = try await #require(try setup.manager.keys(issuerID: "consumers").first { $0.state == .pending })
        let idKey = try await #require(try setup.manager.keys(issuerID: "consumers").first { $0.state == .active && $0.purpose == .idToken })
        try await setup.app.test(.router) { client in
            let before = try await client.execute(uri: "/consumers/jwks", method: .get)
            #expect(Set(try JWKSet(json: Array(before.body.readableBytesView)).keys.compactMap(\.keyID)) == [active.keyID, pending.keyID, idKey.keyID])
            try await setup.manager.revoke(issuerID: "consumers", keyID: active.keyID, reason: "test", actor: "test",
                                     now: setup.now.addingTimeInterval(120))
            let response = try await client.execute(uri: "/consumers/jwks", method: .get)
            let after = Set(try JWKSet(json: Array(response.body.readableBytesView)).keys.compactMap(\.keyID))
            #expect(!after.contains(active.keyID))
            #expect(after.contains(pending.keyID))
        }
    }

    @Test("a token signed with the active key verifies against the served JWKS; the other issuer's JWKS refuses it")
    func tokenAgainstServedKeys() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        let signer = await TokenSigner(key: try setup.manager.signingKey(issuerID: "consumers"))
        let iat = setup.now.timeIntervalSince1970 + 10
        let token = try signer.sign(claims: JSONObject([
            "iss": .string("https://id.keybound.test/consumers"), "sub": .string("alice"), "aud": .string("api://mail"),
            "exp": .number(iat + 600), "iat": .number(iat), "jti": .string("t1"), "client_id": .string("app"),
        ]))
        try await setup.app.test(.router) { client in
            var trust = TrustStore()
            for issuerID in ["consumers", "contoso"] {
                let response = try await client.execute(uri: "/\(issuerID)/jwks", method: .get)
                let set = try JWKSet(json: Array(response.body.readableBytesView))
                try trust.add(TrustedIssuer(identifier: "https://id.keybound.test/\(issuerID)", tenancy: .noTenant, keySet: set))
            }
            let verifier = TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail"),
                                         clock: .fixed(setup.now.addingTimeInterval(30)))
            #expect(verifier.verify(token).token?.subject == "alice")
        }
    }
}
