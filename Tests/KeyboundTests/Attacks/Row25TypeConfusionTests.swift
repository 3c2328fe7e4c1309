import Foundation
import Testing
import Keybound

/// Attack catalog row 25: `typ` confusion. An access-token policy accepts only `at+jwt` /
/// `application/at+jwt` (case-insensitive); ID tokens, DPoP proofs, security event tokens and
/// untyped tokens are `wrong_type`, and the JWT policy in turn refuses access tokens.
@Suite("Row 25: typ confusion")
struct Row25TypeConfusionTests {
    func token(typ: String?) throws -> String {
        try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256, typ: typ), payload: AttackFixture.claims(),
                               with: AttackKeys.es256)
    }

    @Test("Access-token policy refuses other types → wrong_type",
          arguments: ["JWT", "jwt", "application/jwt", "dpop+jwt", "secevent+jwt", "application/secevent+jwt",
                      "logout+jwt", "id_token+jwt", "at+jwt ", " at+jwt", "at+jwt;charset=utf-8",
                      "application/application/at+jwt", "at+jws", "at", "", "x-at+jwt"])
    func refused(typ: String) throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token(typ: typ), .wrongType)
    }

    @Test("Access-token policy refuses a token without typ → wrong_type")
    func missingTyp() throws {
        let fixture = try AttackFixture()
        fixture.expectRejected(try token(typ: nil), .wrongType)
    }

    @Test("Access-token policy accepts the RFC 9068 spellings",
          arguments: ["at+jwt", "application/at+jwt", "AT+JWT", "At+Jwt", "APPLICATION/AT+JWT"])
    func accepted(typ: String) throws {
        let fixture = try AttackFixture()
        fixture.expectAccepted(try token(typ: typ))
    }

    @Test("The JWT policy refuses access tokens, DPoP proofs and SETs → wrong_type",
          arguments: ["at+jwt", "application/at+jwt", "dpop+jwt", "secevent+jwt"])
    func jwtPolicyRefuses(typ: String) throws {
        let fixture = try AttackFixture(tokenType: .jwt)
        fixture.expectRejected(try token(typ: typ), .wrongType)
    }

    @Test("The JWT policy accepts JWT, application/jwt and no typ")
    func jwtPolicyAccepts() throws {
        let fixture = try AttackFixture(tokenType: .jwt)
        for typ in ["JWT", "jwt", "application/jwt", nil] as [String?] {
            let result = fixture.verify(try token(typ: typ))
            #expect(result.token != nil, "typ \(typ ?? "absent"): \(String(describing: result.rejection))")
        }
    }

    @Test("A typ that is not a string → malformed_header", arguments: ["null", "1", "[\"at+jwt\"]"])
    func nonStringTyp(raw: String) throws {
        let fixture = try AttackFixture()
        let header = "{\"alg\":\"ES256\",\"kid\":\"attack-es256\",\"typ\":\(raw)}"
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedHeader)
    }
}
