import Foundation
import Testing
import Keybound

/// Attack catalog row 15: nested JWTs. Keybound has no nested path: an outer JWE is five
/// segments (`malformed_token`); an unsecured inner token on its own is `unsupported_algorithm`;
/// a signed outer JWS whose payload is another token instead of claims is `malformed_claims`.
@Suite("Row 15: nested JWT")
struct Row15NestedJWTTests {
    static var innerNone: String {
        AttackEncoding.b64(#"{"alg":"none","typ":"at+jwt"}"#) + "." + AttackEncoding.b64(AttackFixture.claims()) + "."
    }

    @Test("Outer JWE with cty JWT wrapping an alg:none token → malformed_token")
    func outerJWE() throws {
        let fixture = try AttackFixture()
        let header = #"{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT"}"#
        let token = [AttackEncoding.b64(header), "AAAA", "AAAAAAAAAAAAAAAA", AttackEncoding.b64(Self.innerNone), "AAAAAAAAAAAAAAAAAAAAAA"]
            .joined(separator: ".")
        fixture.expectRejected(token, .malformedToken)
    }

    @Test("The unsecured inner token alone → unsupported_algorithm")
    func innerAlone() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(Self.innerNone, .unsupportedAlgorithm)
    }

    @Test("A validly signed JWS with cty JWT whose payload is a token → malformed_claims")
    func signedOuterWithTokenPayload() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: #","cty":"JWT""#)
        for inner in [Self.innerNone, try AttackFixture.legitToken(.es256)] {
            let token = try AttackFixture.sign(header: header, payload: inner, with: AttackKeys.es256)
            #expect(fixture.code(token) == .malformedClaims, "inner \(inner.prefix(20))")
        }
    }

    @Test("An inner token signed by another issuer's key, presented alone → unknown/untrusted, never accepted")
    func innerFromOtherIssuer() throws {
        let fixture = try AttackFixture()
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(AttackFixture.attackerIssuer))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.attackerES256), payload: claims,
                                           with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .untrustedIssuer)
    }
}
