import Foundation
import Testing
import Keybound

/// Attack catalog row 22: `aud` as array vs string. Accepted if any element equals the expected
/// audience exactly; empty arrays, non-string members and non-array/non-string values are
/// `malformed_claims`; prefix, suffix, trailing-slash and case variants are `audience_mismatch`.
@Suite("Row 22: aud array vs string")
struct Row22AudienceTests {
    static let me = AttackFixture.audience

    func token(aud raw: String) throws -> String {
        try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: AttackFixture.claims([("aud", raw)]),
                               with: AttackKeys.es256)
    }

    static func q(_ text: String) -> String { AttackFixture.quoted(text) }

    @Test("aud arrays containing the expected audience verify")
    func arrayContainingExpected() throws {
        let fixture = try AttackFixture()
        fixture.expectAccepted(try token(aud: "[\(Self.q("other")),\(Self.q(Self.me))]"))
        fixture.expectAccepted(try token(aud: "[\(Self.q(Self.me))]"))
        fixture.expectAccepted(try token(aud: Self.q(Self.me)))
    }

    @Test("aud of the wrong shape → malformed_claims",
          arguments: ["[]", "[\(AttackFixture.quoted(AttackFixture.audience)),5]", "{\"x\":\(AttackFixture.quoted(AttackFixture.audience))}",
                      "null", "5", "true", "[null]", "[[\(AttackFixture.quoted(AttackFixture.audience))]]"])
    func wrongShape(raw: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token(aud: raw), .malformedClaims)
    }

    @Test("Near-miss audiences → audience_mismatch",
          arguments: [AttackFixture.audience + "/", AttackFixture.audience + "X", String(AttackFixture.audience.dropLast()),
                      AttackFixture.audience.uppercased(), " " + AttackFixture.audience, "", "*",
                      "https://api.keybound.test.attacker.example"])
    func nearMiss(audience: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token(aud: Self.q(audience)), .audienceMismatch)
        fixture.expectRejected(try token(aud: "[\(Self.q(audience)),\(Self.q("other"))]"), .audienceMismatch)
    }

    @Test("The same near misses against the bare audience 'me' (the catalog's example)")
    func catalogExample() throws {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: JWKSet(keys: [AttackKeys.es256.publicJWK])))
        let policy = try VerificationPolicy(audience: "me", clockSkew: 0)
        let verifier = TokenVerifier(trust: trust, policy: policy, clock: .fixed(AttackFixture.now))
        #expect(verifier.verify(try token(aud: #"["other","me"]"#)).token != nil)
        #expect(verifier.verify(try token(aud: #""me/""#)).rejection?.code == .audienceMismatch)
        #expect(verifier.verify(try token(aud: #""meX""#)).rejection?.code == .audienceMismatch)
        #expect(verifier.verify(try token(aud: #"["me",5]"#)).rejection?.code == .malformedClaims)
        #expect(verifier.verify(try token(aud: #"{"x":"me"}"#)).rejection?.code == .malformedClaims)
        #expect(verifier.verify(try token(aud: "[]")).rejection?.code == .malformedClaims)
    }

    @Test("aud missing → missing_claim")
    func audMissing() throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256),
                                           payload: AttackFixture.claims(removing: ["aud"]), with: AttackKeys.es256)
        fixture.expectRejected(token, .missingClaim)
    }
}
