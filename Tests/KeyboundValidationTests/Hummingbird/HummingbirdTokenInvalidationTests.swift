import Foundation
import Keybound
import KeyboundHummingbird
import KeyboundValidation
import Testing

/// Evicting one revoked token (`iss`, `jti`) from the verified-token cache, and the revocation list
/// that refuses it afterwards.
@Suite("Resource side: token revocations in the verified-token cache")
struct HummingbirdTokenInvalidationTests {
    @Test("invalidate(issuer:tokenID:) removes exactly that token's entries: not another jti, not the same jti of another issuer")
    func evictsExactlyOneToken() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let verifier = CachingTokenVerifier(cache: cache, verifier: try fixture.verifier())
        let id = UUID().uuidString
        let revoked = try fixture.userToken(tokenID: id)
        let sameIDOtherIssuer = try TokenSigner(key: fixture.keyB).sign(claims: HBFixture.claims(
            issuer: HBFixture.issuerB, tenant: HBFixture.tenantB, tokenID: id))
        let other = try fixture.userToken()
        for token in [revoked, sameIDOtherIssuer, other] { await #expect((try? verifier.verify(token).get()) != nil) }
        #expect(cache.count == 3)
        // Issuer A is ".../Kontoso" with a K; the Kelvin sign (U+212A) is canonically equivalent, not the same bytes.
        #expect(cache.invalidate(issuer: HBFixture.issuerA.replacingOccurrences(of: "K", with: "\u{212A}"), tokenID: id) == 0)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, tokenID: id.lowercased() == id ? id.uppercased() : id.lowercased()) == 0)
        #expect(cache.count == 3)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, tokenID: id) == 1)
        #expect(cache.identity(for: revoked, now: HBFixture.t0) == nil)
        #expect(cache.identity(for: sameIDOtherIssuer, now: HBFixture.t0) != nil)
        #expect(cache.identity(for: other, now: HBFixture.t0) != nil)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, tokenID: id) == 0, "nothing left to remove")
    }

    @Test("a verification that began before a token revocation does not cache its result after it")
    func noStaleInsertAfterTokenInvalidation() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache()
        let id = UUID().uuidString
        let token = try fixture.userToken(tokenID: id)
        let verifier = CachingTokenVerifier(cache: cache) {
            let snapshot = try! fixture.verifier()
            cache.invalidate(issuer: HBFixture.issuerA, tokenID: id)
            return snapshot
        }
        await #expect((try? verifier.verify(token).get()) != nil)
        #expect(cache.count == 0, "the result of a verification begun before the revocation must not be cached")
    }

    @Test("evicted entries leave no index behind; capacity eviction and expiry keep the index in step")
    func indexFollowsEntries() async throws {
        let fixture = try HBFixture()
        let cache = VerifiedTokenCache(capacity: 2)
        let verifier = CachingTokenVerifier(cache: cache, verifier: try fixture.verifier())
        let ids = (0..<3).map { _ in UUID().uuidString }
        for id in ids { _ = await verifier.verify(try fixture.userToken(tokenID: id)) }
        #expect(cache.count == 2)
        #expect(cache.invalidate(issuer: HBFixture.issuerA, tokenID: ids[0]) == 0, "the oldest was evicted by capacity")
        #expect(cache.invalidate(issuer: HBFixture.issuerA, tokenID: ids[2]) == 1)
    }

    @Test("RevokedTokenCheck refuses a listed token with token_revoked until its exp, by exact (iss, jti)")
    func revocationList() throws {
        let fixture = try HBFixture()
        let revoked = RevokedTokens()
        let policy = try VerificationPolicy(audience: HBFixture.audience, additionalChecks: [RevokedTokenCheck(revoked)])
        let base = try fixture.verifier()
        let verifier = TokenVerifier(trust: base.trust, policy: policy, clock: base.clock)
        let id = UUID().uuidString
        let token = try fixture.userToken(tokenID: id)
        #expect(verifier.verify(token).rejection == nil)
        revoked.revoke(issuer: HBFixture.issuerB, tokenID: id, expiresAt: HBFixture.t0.addingTimeInterval(600))
        #expect(verifier.verify(token).rejection == nil, "another issuer's jti revokes nothing here")
        revoked.revoke(issuer: HBFixture.issuerA, tokenID: id, expiresAt: HBFixture.t0.addingTimeInterval(600))
        #expect(verifier.verify(token).rejection?.code == .tokenRevoked)
        #expect(revoked.isRevoked(issuer: HBFixture.issuerA, tokenID: id, now: HBFixture.t0.addingTimeInterval(601)) == false,
                "kept only until the token's exp")
    }
}
