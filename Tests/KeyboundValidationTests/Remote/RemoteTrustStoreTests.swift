import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Logging
import Synchronization
import Testing

@Suite("Resource side: remote trust store")
struct RemoteTrustStoreTests {

    @Test("there is no 'any issuer': an empty issuer list is refused")
    func emptyConfiguration() {
        #expect(throws: RemoteTrustError.self) { try RemoteTrustStore.Configuration(issuers: []) }
        #expect(throws: RemoteTrustError.self) { try RemoteTrustStore.Configuration(issuers: [.init(url: "ftp://x")]) }
    }

    @Test("an issuer never loaded fails closed; once loaded, its tokens verify")
    func failClosedThenLoad() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key])
        provider.setDown(true)
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider)
        await store.refreshAll()
        #expect(!store.isLoaded(RemoteTrustFixture.issuer))
        #expect(store.lastError(RemoteTrustFixture.issuer)?.contains("connection refused") == true)
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).rejection?.code == .untrustedIssuer)
        provider.setDown(false)
        await store.refreshAll()
        #expect(store.isLoaded(RemoteTrustFixture.issuer))
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).token != nil)
    }

    @Test("the last good key set keeps serving while the provider is down")
    func lastGoodKeySet() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key], maxAge: 0)
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider)
        await store.refreshAll()
        provider.setDown(true)
        await store.refreshAll()  // stale (max-age 0), refresh fails
        #expect(store.lastError(RemoteTrustFixture.issuer) != nil)
        #expect(try RemoteTrustFixture.verify(try RemoteTrustFixture.token(key), store).token != nil)
    }

    @Test("random unknown kids cause at most one refresh per interval, not a fetch storm")
    func noFetchStorm() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key])
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider,
                                     now: { clock.withLock { $0 } })
        await store.refreshAll()
        #expect(provider.fetches == 2)  // discovery + JWKS
        clock.withLock { $0 += 60 }
        for _ in 0..<500 { _ = await store.refreshForUnknownKey(issuer: RemoteTrustFixture.issuer, keyID: UUID().uuidString) }
        #expect(provider.fetches == 4, "500 unknown kids within one interval caused \(provider.fetches - 2) fetches")
        // A rotated-in key is picked up by the one allowed refresh of the next interval.
        let next = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        provider.setKeys([key, next])
        #expect(await store.refreshForUnknownKey(issuer: RemoteTrustFixture.issuer, keyID: next.keyID) == false)  // still within the interval
        clock.withLock { $0 += 31 }
        #expect(await store.refreshForUnknownKey(issuer: RemoteTrustFixture.issuer, keyID: next.keyID) == true)
        // An issuer that is not configured never causes a fetch.
        let before = provider.fetches
        #expect(await store.refreshForUnknownKey(issuer: "https://evil.example", keyID: "x") == false)
        #expect(provider.fetches == before)
    }

    @Test("Cache-Control max-age decides when a key set is stale")
    func maxAge() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key], maxAge: 120)
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider,
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
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key])
        provider.declare(issuer: "https://id.example.test/consumers")
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider)
        await store.refreshAll()
        #expect(!store.isLoaded(RemoteTrustFixture.issuer))
        #expect(store.lastError(RemoteTrustFixture.issuer)?.contains("names another issuer") == true)
    }

    @Test("a pushed revocation removes a key at once, whatever the cached JWKS says, and clears the verified-token cache")
    func pushedRevocation() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key])
        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider, cache: cache)
        await store.refreshAll()
        let token = try RemoteTrustFixture.token(key)
        let caching = CachingTokenVerifier(cache: cache) {
            TokenVerifier(trust: store.trustStore(), policy: try! VerificationPolicy(audience: "api://mail"))
        }
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.count == 1)
        store.revoke(issuer: RemoteTrustFixture.issuer, keyID: key.keyID)
        #expect(cache.count == 0)
        #expect(try RemoteTrustFixture.verify(token, store).rejection?.code == .keyRevoked)
        await #expect(caching.verify(token).failureCode == .keyRevoked)
    }

    @Test("a key that leaves the JWKS on refresh leaves the verified-token cache too")
    func keyLeavesJWKS() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)
        let provider = FakeProvider(issuer: RemoteTrustFixture.issuer, keys: [key], maxAge: 0)
        let cache = VerifiedTokenCache()
        let store = RemoteTrustStore(configuration: try .init(issuers: [.init(url: RemoteTrustFixture.issuer)]), fetcher: provider, cache: cache)
        await store.refreshAll()
        let caching = CachingTokenVerifier(cache: cache) {
            TokenVerifier(trust: store.trustStore(), policy: try! VerificationPolicy(audience: "api://mail"))
        }
        await #expect((try? caching.verify(try RemoteTrustFixture.token(key)).get()) != nil)
        provider.setKeys([try SigningKey.generate(algorithm: .es256, issuer: RemoteTrustFixture.issuer)])
        await store.refreshAll()
        #expect(cache.count == 0)
    }
}
