import Foundation
@testable import Keybound
@testable import KeyboundHummingbird
@testable import KeyboundValidation
import Testing

/// `VerifiedTokenCache.statistics`: what the mail load benchmark reports as the cache hit rate.
@Suite("Hummingbird: verified-token cache statistics")
struct HummingbirdCacheStatisticsTests {
    @Test("a first verification is a miss, a repeat a hit, a rejection a miss every time; identity(for:) counts nothing")
    func countsHitsAndMisses() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let token = try fixture.userToken()
        let other = try fixture.fabrikamToken()
        #expect(cache.statistics == .init(hits: 0, misses: 0))
        #expect(cache.statistics.hitRate == 0)

        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.statistics == .init(hits: 0, misses: 1))
        await #expect((try? caching.verify(token).get()) != nil)
        await #expect((try? caching.verify(token).get()) != nil)
        await #expect((try? caching.verify(other).get()) != nil)
        #expect(cache.statistics == .init(hits: 2, misses: 2))

        // A token that does not verify is never stored, so each attempt misses.
        let forged = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        for _ in 0..<2 { await #expect((try? caching.verify(forged).get()) == nil) }
        #expect(cache.statistics == .init(hits: 2, misses: 4))
        #expect(cache.statistics.hitRate == 2.0 / 6.0)

        // Peeking does not count.
        #expect(cache.identity(for: token, now: fixture.now) != nil)
        #expect(cache.statistics == .init(hits: 2, misses: 4))
    }
}
