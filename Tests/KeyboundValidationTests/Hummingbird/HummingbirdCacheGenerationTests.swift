import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Synchronization
import Testing

@Suite("Resource side: cache generations and versioned trust")
struct HummingbirdCacheGenerationTests {
    @Test("A verification that began before an invalidation does not store its result after it")
    func noStaleInsertAfterInvalidation() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let token = try fixture.userToken()
        // The revocation lands while the request is between taking its trust snapshot and storing.
        let verifier = CachingTokenVerifier(cache: cache) {
            let snapshot = try! fixture.verifier()
            cache.invalidate(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID)
            return snapshot
        }
        await #expect((try? verifier.verify(token).get()) != nil, "the snapshot still trusted the key")
        #expect(cache.count == 0, "the stale success must not be cached")
        // Without an invalidation in between, the same flow does cache.
        let plain = CachingTokenVerifier(cache: cache, verifier: try fixture.verifier())
        _ = await plain.verify(token)
        #expect(cache.count == 1)
    }

    @Test("VersionedTrustVerifier rebuilds and empties the cache only when the version changes")
    func versionChangeEmptiesCache() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let version = Mutex<Int64>(1)
        let builds = Mutex(0)
        let trust = try fixture.verifier().trust
        let versioned = VersionedTrustVerifier(policy: fixture.policy, cache: cache, clock: fixture.clock) {
            builds.withLock { $0 += 1 }
            return (version.withLock { $0 }, trust)
        }
        let caching = CachingTokenVerifier(cache: cache) { await versioned.verifier() }
        let token = try fixture.userToken()
        await #expect((try? caching.verify(token).get()) != nil)
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.count == 1, "same version: the cache keeps its entry")
        version.withLock { $0 = 2 }
        _ = await versioned.verifier()
        #expect(cache.count == 0, "a new version empties the cache")
        #expect(builds.withLock { $0 } >= 3)
    }

    @Test("VersionedTrustVerifier fails closed before its first success and keeps the last good trust after")
    func failureBehaviour() async throws {
        let fixture = try HBFixture()
        let failing = Mutex(true)
        let trust = try fixture.verifier().trust
        let versioned = VersionedTrustVerifier(policy: fixture.policy, cache: nil, clock: fixture.clock) {
            if failing.withLock({ $0 }) { throw HTTPFetchError("source down") }
            return (7, trust)
        }
        let token = try fixture.userToken()
        await #expect(versioned.verifier().verify(token).rejection?.code == .untrustedIssuer)
        failing.withLock { $0 = false }
        await #expect(versioned.verifier().verify(token).rejection == nil)
        failing.withLock { $0 = true }
        await #expect(versioned.verifier().verify(token).rejection == nil, "the last good trust keeps serving")
    }
}
