import Foundation
import Testing
import Keybound

/// Attack catalog row 20: deep-JSON, decompression and PBES2 denial of service. Nesting deeper
/// than 32 levels is `malformed_claims` (or `malformed_header`), without recursion blow-up;
/// `zip` is `forbidden_header`; PBES2 is not a JWS algorithm (`unsupported_algorithm`) and a
/// PBES2 JWE is five segments (`malformed_token`).
@Suite("Row 20: deep JSON, zip and PBES2")
struct Row20DoSParsingTests {
    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test("A claim of 32 nested arrays (payload depth 33) → malformed_claims")
    func justTooDeep() throws {
        let fixture = try AttackFixture()
        let payload = AttackFixture.claims([("x", Self.nested(32))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedClaims)
    }

    @Test("A claim of 31 nested arrays (payload depth 32, the limit) is accepted")
    func deepestAccepted() throws {
        let fixture = try AttackFixture()
        let payload = AttackFixture.claims([("x", Self.nested(31))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        fixture.expectAccepted(token)
    }

    @Test("A payload of 90 000 nested arrays (within a 256 KiB size limit) → malformed_claims")
    func veryDeepPayload() throws {
        let fixture = try AttackFixture(maximumTokenSize: 262_144)
        let payload = "{\"x\":" + Self.nested(90_000) + "}"
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        #expect(token.utf8.count <= 262_144)
        fixture.expectRejected(token, .malformedClaims)
    }

    @Test("A deeply nested header → malformed_header")
    func deepHeader() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"x\":" + Self.nested(2_000))
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedHeader)
    }

    @Test("zip header, validly signed → forbidden_header", arguments: [#""DEF""#, #""GZIP""#, "null"])
    func zipHeader(value: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"zip\":\(value)")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("PBES2 with p2c 2147483647: as a JWS → unsupported_algorithm, as a JWE → malformed_token")
    func pbes2() throws {
        let fixture = try AttackFixture()
        let header = #"{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":2147483647,"p2s":"AAAAAAAAAAA","kid":"attack-es256","typ":"at+jwt"}"#
        let jws = AttackEncoding.token(header: header, payload: AttackFixture.claims(), signature: [UInt8](repeating: 0, count: 64))
        fixture.expectRejected(jws, .unsupportedAlgorithm)
        let jwe = [AttackEncoding.b64(header), "AAAA", "AAAAAAAAAAAAAAAA", "AAAA", "AAAAAAAAAAAAAAAAAAAAAA"].joined(separator: ".")
        fixture.expectRejected(jwe, .malformedToken)
    }
}
