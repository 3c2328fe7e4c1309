import Foundation
import Keybound
import KeyboundStore
import Testing

/// `KeyManager.trustStore()` projects the store's lifecycle into a `TokenVerifier`, checked at the
/// exact boundaries: a token verifies until `exp` (+ skew), then `token_expired`; `unknown_key` once
/// its key is retired; `key_not_active` for a pending key, an `iat` after the key stopped signing or
/// past its maximum age, or a verify-only key past `verifyUntil`; `key_revoked`; `lifetime_too_long`.
@Suite("Key store: trust projection")
struct StoreTrustProjectionTests {
    static let t0 = StoreClock.origin
    static let skew: TimeInterval = 60   // VerificationPolicy's default clock skew

    @Test("The active key's tokens verify for every algorithm and issuer kind", arguments: StoreBackend.allCases, JWSAlgorithm.allCases)
    func everyAlgorithm(backend: StoreBackend, algorithm: JWSAlgorithm) async throws {
        let issuers = [StoreIssuers.consumer("consumers", algorithm: algorithm), StoreIssuers.tenant("contoso", algorithm: algorithm)]
        let fixture = try await StoreFixture(backend, issuers: issuers)
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let now = Self.t0.addingTimeInterval(StoreClock.hour)
        for issuer in issuers {
            let token = try StoreTokens.sign(try await manager.signingKey(issuerID: issuer.id), issuer, iat: now)
            await #expect(try StoreTokens.verdict(manager, token, now: now) == .verified, "\(issuer.id) \(algorithm.rawValue)")
            await #expect(try StoreTokens.verdict(manager, token, now: now.addingTimeInterval(600 + Self.skew)) == .rejected(.tokenExpired))
        }
    }

    @Test("After a rotation the old key's token verifies until exp, then token_expired, then unknown_key once retired", arguments: StoreBackend.allCases)
    func oldKeyTimeline(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        let oldKey = try await manager.signingKey(issuerID: issuer.id)

        try await manager.tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))
        let pending = try await #require(try manager.keys(issuer.id, in: .pending).first)
        let fromPending = try StoreTokens.sign(try await manager.unsealed(pending), issuer, iat: rotation.addingTimeInterval(-600))
        await #expect(try StoreTokens.verdict(manager, fromPending, now: rotation.addingTimeInterval(-590)) == .rejected(.keyNotActive))

        let lastOld = try StoreTokens.sign(oldKey, issuer, iat: rotation.addingTimeInterval(-600), lifetime: issuer.maximumTokenLifetime)
        let exp = rotation.addingTimeInterval(-600 + issuer.maximumTokenLifetime)
        try await manager.tick(now: rotation)
        await #expect(try manager.signingKey(issuerID: issuer.id).keyID == pending.keyID)
        await #expect(try StoreTokens.verdict(manager, fromPending, now: rotation.addingTimeInterval(30)) == .rejected(.keyNotActive),
                "a token the key signed while pending stays forged after it activates")
        await #expect(try StoreTokens.verdict(manager, lastOld, now: rotation.addingTimeInterval(60)) == .verified)
        await #expect(try StoreTokens.verdict(manager, lastOld, now: exp.addingTimeInterval(-1)) == .verified)
        await #expect(try StoreTokens.verdict(manager, lastOld, now: exp.addingTimeInterval(Self.skew - 1)) == .verified)
        await #expect(try StoreTokens.verdict(manager, lastOld, now: exp.addingTimeInterval(Self.skew)) == .rejected(.tokenExpired))
        let afterStop = try StoreTokens.sign(oldKey, issuer, iat: rotation.addingTimeInterval(Self.skew + 1))
        await #expect(try StoreTokens.verdict(manager, afterStop, now: rotation.addingTimeInterval(Self.skew + 2)) == .rejected(.keyNotActive))
        let atStop = try StoreTokens.sign(oldKey, issuer, iat: rotation)
        await #expect(try StoreTokens.verdict(manager, atStop, now: rotation.addingTimeInterval(1)) == .verified, "the last signing second is inside the window")

        let verifyUntil = RotationEngine.verifyUntil(deactivatedAt: rotation, issuer: issuer)
        await #expect(try manager.tick(now: verifyUntil.addingTimeInterval(-1)) == [])
        await #expect(try manager.publishedKeyIDs(issuer.id).contains(oldKey.keyID))
        await #expect(try manager.tick(now: verifyUntil).filter { $0.purpose == .accessToken } == [.retire(issuerID: issuer.id, keyID: oldKey.keyID)])
        await #expect(try !manager.publishedKeyIDs(issuer.id).contains(oldKey.keyID))
        await #expect(try manager.trustStore().issuer(issuer.url)?.key(withID: oldKey.keyID) == nil, "retired keys leave the trust store")
        await #expect(try StoreTokens.verdict(manager, lastOld, now: verifyUntil) == .rejected(.unknownKey))
        await #expect(try manager.keys(issuerID: issuer.id).contains { $0.keyID == oldKey.keyID && $0.state == .retired }, "but the key is kept")
    }

    @Test("A verify-only key past verifyUntil verifies nothing even if the retiring tick has not run yet", arguments: StoreBackend.allCases)
    func missedRetirementTick(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let oldKey = try await manager.signingKey(issuerID: issuer.id)
        let rotation = Self.t0.addingTimeInterval(issuer.rotationPeriod)
        try await manager.tick(now: rotation.addingTimeInterval(-issuer.publishLeadTime))
        try await manager.tick(now: rotation)
        let token = try StoreTokens.sign(oldKey, issuer, iat: rotation, lifetime: issuer.maximumTokenLifetime)
        let old = try await #require(try manager.keys(issuerID: issuer.id).first { $0.keyID == oldKey.keyID })
        #expect(old.state == .verifyOnly)
        let until = try #require(old.verifyUntil)
        await #expect(try StoreTokens.verdict(manager, token, now: rotation.addingTimeInterval(60)) == .verified)
        await #expect(try StoreTokens.verdict(manager, token, now: until.addingTimeInterval(Self.skew + 1)) == .rejected(.keyNotActive))
    }

    @Test("A key past its maximum age vouches for nothing issued after that age, even before a tick replaces it", arguments: StoreBackend.allCases)
    func maximumAgeWithoutTick(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let key = try await manager.signingKey(issuerID: issuer.id)
        let limit = Self.t0.addingTimeInterval(issuer.maximumKeyAge)
        let inside = try StoreTokens.sign(key, issuer, iat: limit.addingTimeInterval(-120))
        let outside = try StoreTokens.sign(key, issuer, iat: limit.addingTimeInterval(Self.skew + 1))
        await #expect(try manager.activeKey(issuer.id).keyID == key.keyID, "no tick ran: the store still calls it active")
        await #expect(try StoreTokens.verdict(manager, inside, now: limit) == .verified)
        await #expect(try StoreTokens.verdict(manager, outside, now: limit.addingTimeInterval(Self.skew + 2)) == .rejected(.keyNotActive))
    }

    @Test("A revoked key's tokens are rejected with key_revoked, even those issued before the revocation", arguments: StoreBackend.allCases)
    func revokedKey(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.tenant()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let key = try await manager.signingKey(issuerID: issuer.id)
        let issuedAt = Self.t0.addingTimeInterval(StoreClock.hour)
        let token = try StoreTokens.sign(key, issuer, iat: issuedAt)
        await #expect(try StoreTokens.verdict(manager, token, now: issuedAt.addingTimeInterval(60)) == .verified)
        try await manager.revoke(issuerID: issuer.id, keyID: key.keyID, reason: "key material exposed", actor: "secops", now: issuedAt.addingTimeInterval(120))
        await #expect(try StoreTokens.verdict(manager, token, now: issuedAt.addingTimeInterval(121)) == .rejected(.keyRevoked))
        let replacement = try await manager.signingKey(issuerID: issuer.id)
        #expect(replacement.keyID != key.keyID)
        let fresh = try StoreTokens.sign(replacement, issuer, iat: issuedAt.addingTimeInterval(121))
        await #expect(try StoreTokens.verdict(manager, fresh, now: issuedAt.addingTimeInterval(122)) == .verified)
    }

    @Test("exp − iat is bounded by the issuer's maximum token lifetime, exactly", arguments: StoreBackend.allCases)
    func lifetimeBoundary(backend: StoreBackend) async throws {
        let issuer = StoreIssuers.consumer()
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        let key = try await manager.signingKey(issuerID: issuer.id)
        let now = Self.t0.addingTimeInterval(5 * StoreClock.hour)   // a backdated iat still falls inside the key's window
        let atLimit = try StoreTokens.sign(key, issuer, iat: now, lifetime: issuer.maximumTokenLifetime)
        let overLimit = try StoreTokens.sign(key, issuer, iat: now, lifetime: issuer.maximumTokenLifetime + 1)
        let backdated = try StoreTokens.sign(key, issuer, iat: now.addingTimeInterval(-2 * StoreClock.hour), lifetime: 3 * StoreClock.hour)
        await #expect(try StoreTokens.verdict(manager, atLimit, now: now) == .verified)
        await #expect(try StoreTokens.verdict(manager, overLimit, now: now) == .rejected(.lifetimeTooLong))
        await #expect(try StoreTokens.verdict(manager, backdated, now: now) == .rejected(.lifetimeTooLong))
    }
}
