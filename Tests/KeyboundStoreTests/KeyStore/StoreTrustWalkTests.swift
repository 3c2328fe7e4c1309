import Foundation
import Keybound
import KeyboundStore
import Testing

/// An injected clock walks an issuer through three rotations, signing a token in every step with
/// the key then active; at every step the store's trust projection accepts exactly the tokens whose
/// window is open and rejects the others with the documented code (`token_expired`, `unknown_key`
/// after retirement, `key_not_active` for pending keys and for tokens issued after a key stopped
/// signing, `lifetime_too_long`).
@Suite("Key store: tokens through three rotations")
struct StoreTrustWalkTests {
    static let t0 = StoreClock.origin
    static let skew: TimeInterval = 60   // VerificationPolicy's default clock skew

    struct Issued {
        let token: String
        let keyID: String
        let iat: Date
        let exp: Date
    }

    @Test("Walking three rotations, every token verifies exactly during its window", arguments: StoreBackend.allCases, [
        StoreIssuers.consumer(), StoreIssuers.tenant(algorithm: .edDSA),
    ])
    func walk(backend: StoreBackend, issuer: IssuerRecord) async throws {
        let fixture = try await StoreFixture(backend, issuers: [issuer])
        defer { fixture.remove() }
        let manager = try await fixture.open()
        var clock = StoreClock()
        var issued: [Issued] = []
        var firstOfKey: [String: Issued] = [:]
        var stoppedAt: [String: Date] = [:]
        var signers: [String: SigningKey] = [:]
        var lastActive: String?
        var checked: [String: Int] = [:]

        func expected(_ token: Issued, now: Date) -> StoreVerdict {
            if let stop = stoppedAt[token.keyID], now >= stop.addingTimeInterval(issuer.maximumTokenLifetime + RotationEngine.verificationSkew) {
                return .rejected(.unknownKey)
            }
            if now >= token.exp.addingTimeInterval(Self.skew) { return .rejected(.tokenExpired) }
            return .verified
        }

        while clock.now <= Self.t0.addingTimeInterval(7 * StoreClock.day) {
            let now = clock.now
            try await manager.tick(now: now)
            let active = try await manager.signingKey(issuerID: issuer.id)
            if lastActive != active.keyID {
                if let last = lastActive { stoppedAt[last] = now }
                lastActive = active.keyID
                signers[active.keyID] = active
            }
            let verifier = try await StoreTokens.verifier(manager, now: now)

            // A fresh token of the period, with the longest lifetime allowed.
            let fresh = Issued(token: try StoreTokens.sign(active, issuer, iat: now, lifetime: issuer.maximumTokenLifetime),
                               keyID: active.keyID, iat: now, exp: now.addingTimeInterval(issuer.maximumTokenLifetime))
            issued.append(fresh)
            if firstOfKey[active.keyID] == nil { firstOfKey[active.keyID] = fresh }

            // Recent tokens (alive, just expired, signed by the previous key) and the first token of every key.
            for token in issued.suffix(4) + firstOfKey.values {
                let want = expected(token, now: now)
                let got = StoreTokens.verdict(verifier, token.token)
                #expect(got == want, "token of \(token.keyID) issued \(token.iat), checked at \(now)")
                checked[want.description, default: 0] += 1
            }

            // A pending key never signs: anything it signed is forged.
            for pending in try await manager.keys(issuer.id, in: .pending) {
                let forged = try StoreTokens.sign(try await manager.unsealed(pending), issuer, iat: now)
                #expect(StoreTokens.verdict(verifier, forged) == .rejected(.keyNotActive), "pending \(pending.keyID) at \(now)")
                checked["pending", default: 0] += 1
            }

            // A key that stopped signing cannot vouch for a token issued after it stopped.
            for (kid, stop) in stoppedAt where now > stop.addingTimeInterval(Self.skew) {
                let late = try StoreTokens.sign(try #require(signers[kid]), issuer, iat: now)
                let retired = now >= stop.addingTimeInterval(issuer.maximumTokenLifetime + RotationEngine.verificationSkew)
                #expect(StoreTokens.verdict(verifier, late) == .rejected(retired ? .unknownKey : .keyNotActive), "\(kid) at \(now)")
                checked[retired ? "late-retired" : "late", default: 0] += 1
            }

            // exp − iat above the issuer's maximum is refused even from the active key.
            let long = try StoreTokens.sign(active, issuer, iat: now, lifetime: issuer.maximumTokenLifetime + 1)
            #expect(StoreTokens.verdict(verifier, long) == .rejected(.lifetimeTooLong), "at \(now)")

            clock.advance(30 * StoreClock.minute)
        }
        #expect(stoppedAt.count == 3, "three rotations")
        // Every kind of outcome was exercised, so none of the checks above is vacuous.
        for kind in ["verified", "token_expired", "unknown_key", "pending", "late", "late-retired"] {
            #expect(checked[kind, default: 0] > 0, "no \(kind) case exercised: \(checked)")
        }
    }
}
