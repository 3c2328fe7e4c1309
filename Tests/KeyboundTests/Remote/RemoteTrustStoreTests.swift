import Foundation
import Hummingbird
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundServer
import KeyboundStore
import Logging
import Synchronization
import Testing

/// A fake provider: serves one issuer's discovery document and JWKS, counts fetches, can go down.
final class FakeProvider: HTTPFetching, Sendable {
    let issuer: String
    private let state: Mutex<(keys: [SigningKey], down: Bool, fetches: Int, maxAge: Int?, declaredIssuer: String?, tenancy: JSONObject,
                              jwksURI: String?)>

    /// The tenancy members a fake issuer's discovery document publishes by default.
    static let tenancy = JSONObject(["tenant_id": .string(RemoteTrustStoreTests.tenantID), "tenant_kind": .string("tenant"),
                                     "max_token_lifetime": .number(3_600)])

    init(issuer: String, keys: [SigningKey], maxAge: Int? = 600) {
        self.issuer = issuer
        state = Mutex((keys, false, 0, maxAge, nil, Self.tenancy, nil))
    }

    var fetches: Int { state.withLock { $0.fetches } }
    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    func setKeys(_ keys: [SigningKey]) { state.withLock { $0.keys = keys } }
    func declare(issuer: String) { state.withLock { $0.declaredIssuer = issuer } }
    /// Announces another `jwks_uri` in the discovery document (the key set is served at any URL).
    func declare(jwksURI: String) { state.withLock { $0.jwksURI = jwksURI } }
    /// Replaces the tenancy members of the discovery document (an empty object publishes none).
    func publish(tenancy: JSONObject) { state.withLock { $0.tenancy = tenancy } }

    func get(_ url: URL, maximumBytes: Int) async throws -> HTTPFetchResult {
        let snapshot = state.withLock { state in
            state.fetches += 1
            return state
        }
        if snapshot.down { throw HTTPFetchError("connection refused") }
        let headers = snapshot.maxAge.map { ["cache-control": "public, max-age=\($0)"] } ?? [:]
        let body: JSONObject
        if url.absoluteString.hasSuffix("/.well-known/openid-configuration") {
            var document = JSONObject(["issuer": .string(snapshot.declaredIssuer ?? issuer), "jwks_uri": .string(snapshot.jwksURI ?? issuer + "/jwks")])
            for member in snapshot.tenancy.members { document[member.name] = member.value }
            body = document
        } else {
            body = JSONObject(["keys": .array(snapshot.keys.map { .object($0.publicJWK.publicJSON) })])
        }
        return HTTPFetchResult(status: 200, headers: headers, body: JSONWriter().bytes(.object(body)))
    }
}

extension Result where Failure == TokenRejection {
    var failureCode: RejectionCode? { if case .failure(let rejection) = self { rejection.code } else { nil } }
}

@Suite("Resource side: remote trust store")
struct RemoteTrustStoreTests {
    static let issuer = "https://id.example.test/contoso"
    static let tenantID = "contoso-tid"

    static func token(_ key: SigningKey, issuer: String = issuer, tenantID: String = tenantID, now: Date = Date()) throws -> String {
        let at = now.timeIntervalSince1970.rounded(.down)
        return try TokenSigner(key: key).sign(claims: JSONObject([
            "iss": .string(issuer), "sub": .string("user"), "aud": .string("api://mail"), "exp": .number(at + 300),
            "iat": .number(at), "jti": .string(UUID().uuidString), "client_id": .string("app"), "tid": .string(tenantID)]))
    }

    static func verify(_ token: String, _ store: RemoteTrustStore) throws -> VerificationResult {
        TokenVerifier(trust: store.trustStore(), policy: try VerificationPolicy(audience: "api://mail")).verify(token)
    }

    @Test("there is no 'any issuer': an empty issuer list is refused")
    func emptyConfiguration() {
        #expect(throws: RemoteTrustError.self) { try RemoteTrustStore.Configuration(issuers: []) }
        #expect(throws: RemoteTrustError.self) { try RemoteTrustStore.Configuration(issuers: [.init(url: "ftp://x")]) }
    }

    @Test("an issuer never loaded fails closed; once loaded, its tokens verify")
    func failClosedThenLoad() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        provider.setDown(true)
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider)
        await store.refreshAll()
        #expect(!store.isLoaded(Self.issuer))
        #expect(store.lastError(Self.issuer)?.contains("connection refused") == true)
        #expect(try Self.verify(try Self.token(key), store).rejection?.code == .untrustedIssuer)
        provider.setDown(false)
        await store.refreshAll()
        #expect(store.isLoaded(Self.issuer))
        #expect(try Self.verify(try Self.token(key), store).token != nil)
    }

    @Test("the last good key set keeps serving while the provider is down")
    func lastGoodKeySet() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 0)
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider)
        await store.refreshAll()
        provider.setDown(true)
        await store.refreshAll()  // stale (max-age 0), refresh fails
        #expect(store.lastError(Self.issuer) != nil)
        #expect(try Self.verify(try Self.token(key), store).token != nil)
    }

    @Test("random unknown kids cause at most one refresh per interval, not a fetch storm")
    func noFetchStorm() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider,
                                     now: { clock.withLock { $0 } })
        await store.refreshAll()
        #expect(provider.fetches == 2)  // discovery + JWKS
        clock.withLock { $0 += 60 }
        for _ in 0..<500 { _ = await store.refreshForUnknownKey(issuer: Self.issuer, keyID: UUID().uuidString) }
        #expect(provider.fetches == 4, "500 unknown kids within one interval caused \(provider.fetches - 2) fetches")
        // A rotated-in key is picked up by the one allowed refresh of the next interval.
        let next = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        provider.setKeys([key, next])
        #expect(await store.refreshForUnknownKey(issuer: Self.issuer, keyID: next.keyID) == false)  // still within the interval
        clock.withLock { $0 += 31 }
        #expect(await store.refreshForUnknownKey(issuer: Self.issuer, keyID: next.keyID) == true)
        // An issuer that is not configured never causes a fetch.
        let before = provider.fetches
        #expect(await store.refreshForUnknownKey(issuer: "https://evil.example", keyID: "x") == false)
        #expect(provider.fetches == before)
    }

    @Test("Cache-Control max-age decides when a key set is stale")
    func maxAge() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 120)
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider,
                                     now: { clock.withLock { $0 } })
        await store.refreshAll()
        clock.withLock { $0 += 119 }
        await store.refreshAll()
        #expect(provider.fetches == 2)
        clock.withLock { $0 += 2 }
        await store.refreshAll()
        #expect(provider.fetches == 4)
    }

    @Test("a discovery document that names another issuer is not trusted")
    func issuerMismatch() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        provider.declare(issuer: "https://id.example.test/consumers")
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider)
        await store.refreshAll()
        #expect(!store.isLoaded(Self.issuer))
        #expect(store.lastError(Self.issuer)?.contains("names another issuer") == true)
    }

    @Test("a pushed revocation removes a key at once, whatever the cached JWKS says, and clears the verified-token cache")
    func pushedRevocation() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key])
        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider, cache: cache)
        await store.refreshAll()
        let token = try Self.token(key)
        let caching = CachingTokenVerifier(cache: cache) {
            TokenVerifier(trust: store.trustStore(), policy: try! VerificationPolicy(audience: "api://mail"))
        }
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.count == 1)
        store.revoke(issuer: Self.issuer, keyID: key.keyID)
        #expect(cache.count == 0)
        #expect(try Self.verify(token, store).rejection?.code == .keyRevoked)
        await #expect(caching.verify(token).failureCode == .keyRevoked)
    }

    @Test("a key that leaves the JWKS on refresh leaves the verified-token cache too")
    func keyLeavesJWKS() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let provider = FakeProvider(issuer: Self.issuer, keys: [key], maxAge: 0)
        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: Self.issuer)]), fetcher: provider, cache: cache)
        await store.refreshAll()
        let caching = CachingTokenVerifier(cache: cache) {
            TokenVerifier(trust: store.trustStore(), policy: try! VerificationPolicy(audience: "api://mail"))
        }
        await #expect((try? caching.verify(try Self.token(key)).get()) != nil)
        provider.setKeys([try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)])
        await store.refreshAll()
        #expect(cache.count == 0)
    }

    @Test("against a live Keybound provider over HTTP: loads both issuers and keeps each one's keys to itself")
    func liveProvider() async throws {
        let port = try InteropTests.freePort()
        let base = "http://127.0.0.1:\(port)"
        let fixture = try await ProviderFixture(publicURL: base)
        defer { fixture.remove() }
        var quiet = Logger(label: "remote-trust")
        quiet.logLevel = .critical
        let app = Application(router: KeyboundApplication.router(context: fixture.context),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        let server = GracefulServer(app)
        let store = RemoteTrustStore(configuration: try .init(issuers: [
            .init(url: base + "/consumers"), .init(url: base + "/contoso", tenantID: DevelopmentBootstrap.tenantID)]))
        for _ in 0..<100 where !store.isLoaded(base + "/contoso") || !store.isLoaded(base + "/consumers") {
            await store.refreshAll()
            if !store.isLoaded(base + "/contoso") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(store.isLoaded(base + "/contoso"), "\(store.lastError(base + "/contoso") ?? "")")
        #expect(store.isLoaded(base + "/consumers"))
        let trust = store.trustStore()
        let contosoKey = try await fixture.context.manager.signingKey(issuerID: "contoso")
        let consumersKey = try await fixture.context.manager.signingKey(issuerID: "consumers")
        #expect(trust.issuer(base + "/contoso")?.keyIDs.contains(contosoKey.keyID) == true)
        #expect(trust.issuer(base + "/contoso")?.keyIDs.contains(consumersKey.keyID) == false)
        // A consumer key forging a contoso token: refused with the alert code.
        let at = Date().timeIntervalSince1970.rounded(.down)
        // The attacker holds the consumers key and signs a contoso token with it (TokenSigner refuses; the raw path does not).
        let forged = try TokenSigner(key: consumersKey).sign(
            header: JSONObject(["alg": .string("ES256"), "kid": .string(consumersKey.keyID), "typ": .string("at+jwt")]),
            payload: JSONWriter().bytes(.object(JSONObject([
                "iss": .string(base + "/contoso"), "sub": .string("victim"), "aud": .string("api://mail"), "exp": .number(at + 300),
                "iat": .number(at), "jti": .string("forged"), "client_id": .string("app"), "tid": .string(DevelopmentBootstrap.tenantID)]))))
        #expect(try Self.verify(forged, store).rejection?.code == .issuerKeyMismatch)
        server.cancel()
        _ = await server.result
    }
}
