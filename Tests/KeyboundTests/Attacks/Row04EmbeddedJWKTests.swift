import Foundation
import Testing
import Keybound

/// Attack catalog row 4 (CVE-2018-0114): the attacker signs with their own key and embeds its
/// public key in the header (`jwk`, or a certificate in `x5c`). Keybound never takes a trust
/// anchor from the token: `forbidden_header`.
@Suite("Row 4: embedded jwk / x5c")
struct Row04EmbeddedJWKTests {
    static var attackerJWK: String { JSONWriter().string(.object(AttackKeys.attackerES256.publicJWK.publicJSON)) }

    @Test("Embedded jwk with the victim's kid, signed by the attacker → forbidden_header")
    func embeddedJWKWithVictimKid() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"jwk\":\(Self.attackerJWK)")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("Embedded jwk without kid → forbidden_header")
    func embeddedJWKWithoutKid() throws {
        let fixture = try AttackFixture()
        let header = #"{"alg":"ES256","typ":"at+jwt","jwk":\#(Self.attackerJWK)}"#
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("Embedded jwk that is the trusted key itself, signed by it → still forbidden_header")
    func embeddedTrustedJWK() throws {
        let fixture = try AttackFixture()
        let trusted = JSONWriter().string(.object(AttackKeys.es256.publicJWK.publicJSON))
        let header = AttackFixture.header(AttackKeys.es256, extra: ",\"jwk\":\(trusted)")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("Embedded x5c → forbidden_header")
    func embeddedX5C() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, extra: #","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]"#)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .forbiddenHeader)
    }

    @Test("Without the embedded key the attacker's signature fails against the pinned key → bad_signature")
    func withoutEmbeddedKey() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .badSignature)
    }
}
