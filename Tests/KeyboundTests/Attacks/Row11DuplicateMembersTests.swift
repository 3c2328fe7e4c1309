import Foundation
import Testing
import Keybound

/// Attack catalog row 11: duplicate JSON member names, which parsers resolve differently
/// (first-wins vs last-wins). Keybound rejects them: `malformed_header` in the header,
/// `malformed_claims` in the claims, even when the signature is valid.
@Suite("Row 11: duplicate JSON members")
struct Row11DuplicateMembersTests {
    @Test("Duplicate header members, validly signed → malformed_header",
          arguments: [
            #"{"alg":"ES256","kid":"attack-es256","typ":"at+jwt","alg":"none"}"#,
            #"{"alg":"none","kid":"attack-es256","typ":"at+jwt","alg":"ES256"}"#,
            #"{"alg":"ES256","kid":"attack-es256","typ":"at+jwt","kid":"other"}"#,
            #"{"alg":"ES256","kid":"attack-es256","typ":"JWT","typ":"at+jwt"}"#,
            #"{"alg":"ES256","kid":"attack-es256","typ":"at+jwt","\u0061lg":"ES256"}"#,
          ])
    func duplicateHeaderMember(header: String) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedHeader)
    }

    @Test("Duplicate claims, validly signed → malformed_claims",
          arguments: [
            ("sub", #""admin""#),
            ("iss", #""https://attacker.example""#),
            ("aud", #""https://api.keybound.test""#),
            ("exp", "9999999999"),
            ("scope", #""read""#),
          ])
    func duplicateClaim(name: String, value: String) throws {
        let fixture = try AttackFixture()
        var payload = AttackFixture.claims([("scope", #""read""#)])
        payload.removeLast()
        payload += ",\"\(name)\":\(value)}"
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedClaims)
    }

    @Test("A duplicate spelled with an escape (\\u0073ub) is still a duplicate → malformed_claims")
    func escapedDuplicateClaim() throws {
        let fixture = try AttackFixture()
        var payload = AttackFixture.claims()
        payload.removeLast()
        payload += #","\u0073ub":"admin"}"#
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedClaims)
    }

    @Test("Duplicates among many members (past the parser's linear-scan threshold) → malformed_claims")
    func duplicateAfterManyMembers() throws {
        let fixture = try AttackFixture()
        let extra = (0..<40).map { ("x\($0)", "\($0)") }
        var payload = AttackFixture.claims(extra)
        payload.removeLast()
        payload += #","x3":3}"#
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: payload, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedClaims)
    }
}
