import Foundation
import Testing
import Keybound

/// Attack catalog row 16: exotic NumericDate values. Anything that is not a finite JSON number
/// within ±2^53 is `malformed_claims` (never "claim absent", never saturated); fractional
/// seconds are legal; a finite number in the past is simply expired.
@Suite("Row 16: exotic NumericDate claims")
struct Row16NumericDateTests {
    static let now = AttackFixture.nowSeconds

    func token(_ overrides: [(String, String)]) throws -> String {
        try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: AttackFixture.claims(overrides),
                               with: AttackKeys.es256)
    }

    @Test("exp of the wrong JSON type → malformed_claims",
          arguments: [#""\#(AttackFixture.nowSeconds + 600)""#, "null", "true", "false", "[]", "[\(AttackFixture.nowSeconds + 600)]", "{}", #""""#])
    func expWrongType(raw: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([("exp", raw)]), .malformedClaims)
    }

    @Test("nbf and iat of the wrong JSON type → malformed_claims", arguments: ["nbf", "iat"])
    func otherDatesWrongType(name: String) throws {
        let fixture = try AttackFixture()
        for raw in [#""\#(Self.now)""#, "null", "true", "[]"] {
            #expect(fixture.code(try token([(name, raw)])) == .malformedClaims, "\(name)=\(raw)")
        }
    }

    @Test("exp that overflows a Double (1e309, -1e309) → malformed_claims", arguments: ["1e309", "-1e309", "1E400"])
    func expInfinite(raw: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([("exp", raw)]), .malformedClaims)
    }

    @Test("exp beyond 2^53 (2^64, 1e300, 2^53+2) → malformed_claims",
          arguments: ["18446744073709551616", "1e300", "9007199254740994", "99999999999999999999999"])
    func expOverflow(raw: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([("exp", raw)]), .malformedClaims)
    }

    @Test("iat of 2^64 → malformed_claims")
    func iatOverflow() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([("iat", "18446744073709551616")]), .malformedClaims)
    }

    @Test("Fractional exp, iat and nbf are legal and verify")
    func floatsLegal() throws {
        let fixture = try AttackFixture()
        let overrides = [("exp", "\(Self.now + 600).5"), ("iat", "\(Self.now - 60).25"), ("nbf", "\(Self.now - 60).75e0")]
        fixture.expectAccepted(try token(overrides))
        let verified = fixture.verify(try token(overrides)).token
        #expect(verified?.expiresAt == Date(timeIntervalSince1970: Double(Self.now + 600) + 0.5))
    }

    @Test("exp written in exponent form (1.7000006e9) is an ordinary number and verifies")
    func exponentForm() throws {
        let fixture = try AttackFixture()
        fixture.expectAccepted(try token([("exp", "1.7000006e9")]))
    }

    @Test("exp = -1 (a finite date in the past) → token_expired")
    func negativeExp() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token([("exp", "-1")]), .tokenExpired)
    }
}
