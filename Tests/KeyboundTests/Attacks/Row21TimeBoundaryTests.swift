import Foundation
import Testing
import Keybound

/// Attack catalog row 21: `exp`/`nbf`/`iat` boundaries with an explicit skew. Rejected at
/// now ≥ exp + skew (`token_expired`), now < nbf − skew (`token_not_yet_valid`), iat > now + skew
/// (`issued_in_future`); `exp` is required (`missing_claim`).
@Suite("Row 21: nbf / exp / iat boundaries")
struct Row21TimeBoundaryTests {
    static let now = AttackFixture.nowSeconds

    func token(_ overrides: [(String, String)], removing: Set<String> = [], typ: String = "at+jwt") throws -> String {
        try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256, typ: typ),
                               payload: AttackFixture.claims(overrides, removing: removing), with: AttackKeys.es256)
    }

    @Test("Skew 0: now == exp → token_expired; exp = now + 1 verifies")
    func expBoundary() throws {
        let fixture = try AttackFixture(clockSkew: 0)
        fixture.expectRejected(try token([("exp", "\(Self.now)")]), .tokenExpired)
        fixture.expectAccepted(try token([("exp", "\(Self.now + 1)")]))
        fixture.expectRejected(try token([("exp", "\(Self.now)"), ("iat", "\(Self.now - 60)")]), .tokenExpired)
    }

    @Test("Skew 0: exp a fraction of a second after now verifies, a fraction before is expired")
    func expFractionalBoundary() throws {
        let fixture = try AttackFixture(clockSkew: 0)
        fixture.expectAccepted(try token([("exp", "\(Self.now).001")]))
        fixture.expectRejected(try token([("exp", "\(Self.now - 1).999")]), .tokenExpired)
    }

    @Test("Skew 0: nbf == now verifies; nbf = now + 1 → token_not_yet_valid")
    func nbfBoundary() throws {
        let fixture = try AttackFixture(clockSkew: 0)
        fixture.expectAccepted(try token([("nbf", "\(Self.now)")]))
        fixture.expectRejected(try token([("nbf", "\(Self.now + 1)")]), .tokenNotYetValid)
    }

    @Test("Skew 0: iat == now verifies; iat = now + 1 → issued_in_future")
    func iatBoundary() throws {
        let fixture = try AttackFixture(clockSkew: 0)
        fixture.expectAccepted(try token([("iat", "\(Self.now)")]))
        fixture.expectRejected(try token([("iat", "\(Self.now + 1)")]), .issuedInFuture)
        fixture.expectRejected(try token([("iat", "\(Self.now + 3600)"), ("exp", "\(Self.now + 4000)")]), .issuedInFuture)
    }

    @Test("Skew 60: the boundaries move by exactly 60 s")
    func skewSixty() throws {
        let fixture = try AttackFixture(clockSkew: 60)
        fixture.expectAccepted(try token([("exp", "\(Self.now - 59)"), ("iat", "\(Self.now - 120)")]))
        fixture.expectRejected(try token([("exp", "\(Self.now - 60)"), ("iat", "\(Self.now - 120)")]), .tokenExpired)
        fixture.expectAccepted(try token([("nbf", "\(Self.now + 60)")]))
        fixture.expectRejected(try token([("nbf", "\(Self.now + 61)")]), .tokenNotYetValid)
        fixture.expectAccepted(try token([("iat", "\(Self.now + 60)")]))
        fixture.expectRejected(try token([("iat", "\(Self.now + 61)")]), .issuedInFuture)
    }

    @Test("exp missing → missing_claim, for access tokens and for plain JWTs")
    func expMissing() throws {
        let accessTokens = try AttackFixture()
        accessTokens.expectRejected(try token([], removing: ["exp"]), .missingClaim)
        let jwts = try AttackFixture(tokenType: .jwt)
        jwts.expectAccepted(try token([], typ: "JWT"))
        jwts.expectRejected(try token([], removing: ["exp"], typ: "JWT"), .missingClaim)
    }

    @Test("iat missing from an access token → missing_claim")
    func iatMissing() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([], removing: ["iat"]), .missingClaim)
    }

    @Test("A policy cannot be built with a skew above 300 s or below 0")
    func skewBounds() {
        #expect(throws: PolicyError.self) { try VerificationPolicy(audience: "a", clockSkew: 301) }
        #expect(throws: PolicyError.self) { try VerificationPolicy(audience: "a", clockSkew: -1) }
    }
}
