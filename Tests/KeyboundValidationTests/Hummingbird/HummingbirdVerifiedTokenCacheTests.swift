import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Testing

/// `VerifiedTokenCache` and `CachingTokenVerifier`: invalidation on revocation, the size bound,
/// expiry at `exp` and at the maximum age, no cached rejections, no reuse across audiences.
@Suite("Hummingbird: verified-token cache")
struct HummingbirdVerifiedTokenCacheTests {
    typealias Authenticator = BearerAuthenticator<KeyboundRequestContext>

    @Test("a revoked key's tokens are refused the moment invalidate(issuer:keyID:) runs, not before")
    func revocationInvalidates() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let token = try fixture.userToken()
        let other = try fixture.fabrikamToken()
        let app = HBFixture.app(Authenticator(cache: cache, verifier: fixture.provider))
        try await app.test(.router) { client async throws in
            // 1. Verified once: the cache holds both tokens.
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token)).status == .ok)
            #expect(try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(other)).status == .ok)
            #expect(cache.count == 2)
            #expect(cache.identity(for: token, now: fixture.now)?.keyID == fixture.keyA.keyID)

            // 2. The trust store learns of the revocation, but the cache is not told: the verifier
            //    itself refuses the token, yet the cached entry still answers. This is what
            //    invalidation is for.
            fixture.revoke(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID)
            #expect(try fixture.verifier().verify(token).rejection?.code == .keyRevoked)
            let stale = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            #expect(stale.status == .ok, "without invalidate the cache still answers for the revoked key")

            // 3. The revocation reaches the cache: that key's entries go, and the same token is refused.
            #expect(cache.invalidate(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID) == 1)
            #expect(cache.identity(for: token, now: fixture.now) == nil)
            let refused = try await client.execute(uri: "/me", method: .get, headers: HBFixture.bearer(token))
            #expect(refused.status == .unauthorized)
            #expect(try HBFixture.body(refused)["keybound_code"] == .string("key_revoked"))
            // The rejection was not cached; fabrikam's entry, under another key, is untouched.
            #expect(cache.count == 1)
            #expect(cache.identity(for: other, now: fixture.now)?.issuer == HBFixture.issuerB)
        }
    }

    @Test("invalidate matches issuer and kid exactly, both together")
    func invalidateIsExact() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let token = try fixture.userToken()
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.invalidate(issuer: HBFixture.issuerB, keyID: fixture.keyA.keyID) == 0)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, keyID: fixture.keyB.keyID) == 0)
        #expect(cache.invalidate(issuer: HBFixture.issuerA.replacingOccurrences(of: "K", with: "\u{212A}"), keyID: fixture.keyA.keyID) == 0)
        #expect(cache.count == 1)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, keyID: fixture.keyA.keyID) == 1)
        #expect(cache.count == 0)
    }

    @Test("the cache never holds more than its capacity; the oldest entries go first")
    func bounded() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache(capacity: 3)
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        var tokens: [String] = []
        for index in 0..<10 {
            let token = try fixture.userToken(tokenID: "jti-\(index)")
            tokens.append(token)
            await #expect((try? caching.verify(token).get())?.tokenID == "jti-\(index)")
            #expect(cache.count <= 3)
        }
        #expect(cache.count == 3)
        for token in tokens.prefix(7) { #expect(cache.identity(for: token, now: fixture.now) == nil) }
        for token in tokens.suffix(3) { #expect(cache.identity(for: token, now: fixture.now) != nil) }
        // Re-verifying a cached token does not grow the cache.
        _ = await caching.verify(tokens[9])
        #expect(cache.count == 3)
        cache.removeAll()
        #expect(cache.count == 0)
    }

    @Test("an entry ends at the token's exp: a clock moved past it misses, and the verifier refuses")
    func expiresWithToken() async throws {
        let fixture = try HBFixture(clockSkew: 0)
        let cache = VerifiedTokenCache(maximumAge: 3600)
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let token = try fixture.userToken(lifetime: 300)
        await #expect((try? caching.verify(token).get()) != nil)
        fixture.setNow(HBFixture.t0.addingTimeInterval(299))
        #expect(cache.identity(for: token, now: fixture.now) != nil)
        fixture.setNow(HBFixture.t0.addingTimeInterval(300))
        #expect(cache.identity(for: token, now: fixture.now) == nil)
        if case .failure(let rejection) = await caching.verify(token) {
            #expect(rejection.code == .tokenExpired)
        } else {
            Issue.record("an expired token was accepted")
        }
        #expect(cache.count == 0)
    }

    @Test("a hit re-checks expiry against the verifier's clock, not the time of insertion")
    func hitRechecksClock() async throws {
        let fixture = try HBFixture(clockSkew: 0)
        let cache = VerifiedTokenCache(maximumAge: 3600)
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let token = try fixture.userToken(lifetime: 300)
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.count == 1)
        fixture.setNow(HBFixture.t0.addingTimeInterval(301))
        await #expect(caching.verify(token).isFailure)
    }

    @Test("an entry lives at most maximumAge, even while the token is valid")
    func maximumAge() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache(maximumAge: 30)
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let token = try fixture.userToken(lifetime: 600)
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.identity(for: token, now: HBFixture.t0.addingTimeInterval(29)) != nil)
        #expect(cache.identity(for: token, now: HBFixture.t0.addingTimeInterval(30)) == nil)
        // Still valid: a fresh verification stores it again.
        fixture.setNow(HBFixture.t0.addingTimeInterval(31))
        await #expect((try? caching.verify(token).get()) != nil)
        #expect(cache.identity(for: token, now: fixture.now) != nil)
    }

    @Test("rejections are never cached")
    func rejectionsNotCached() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let caching = CachingTokenVerifier(cache: cache, verifier: fixture.provider)
        let wrongAudience = try TokenSigner(key: fixture.keyA).sign(claims: HBFixture.claims(audience: "api://calendar"))
        for token in [wrongAudience, "junk", "a.b.c"] {
            await #expect(caching.verify(token).isFailure)
            await #expect(caching.verify(token).isFailure)
        }
        #expect(cache.count == 0)
    }

    @Test("an entry stored under one audience does not answer a verifier for another")
    func audienceBound() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let mail = CachingTokenVerifier(cache: cache, verifier: try fixture.verifier())
        let calendar = CachingTokenVerifier(cache: cache, verifier: try fixture.verifier(audience: "api://calendar"))
        let token = try fixture.userToken()
        await #expect((try? mail.verify(token).get()) != nil)
        #expect(cache.count == 1)
        if case .failure(let rejection) = await calendar.verify(token) {
            #expect(rejection.code == .audienceMismatch)
        } else {
            Issue.record("a token cached for api://mail was accepted for api://calendar")
        }
    }

    @Test("the identity digests the exact payload bytes")
    func claimsDigest() throws {
        let fixture = try HBFixture()
        let claims = HBFixture.claims()
        let first = try TokenSigner(key: fixture.keyA).signed(claims: claims)
        let second = try TokenSigner(key: fixture.keyA).signed(claims: claims)
        let a = try #require(try fixture.verifier().verify(first.token).token)
        let b = try #require(try fixture.verifier().verify(second.token).token)
        // Two signatures (ECDSA is randomized), one payload: one digest.
        #expect(first.token != second.token)
        #expect(KeyboundIdentity(a).claimsDigest == KeyboundIdentity(b).claimsDigest)
        var other = claims
        other["sub"] = .string("bob")
        let c = try #require(try fixture.verifier().verify(try TokenSigner(key: fixture.keyA).sign(claims: other)).token)
        #expect(KeyboundIdentity(c).claimsDigest != KeyboundIdentity(a).claimsDigest)
    }
}

private extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
