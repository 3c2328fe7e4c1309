import Foundation
import Testing
import Keybound

/// Attack catalog row 23: `iss` mismatch or partial match (CVE-2024-53861). The issuer is compared
/// by exact string equality. A variant iss signed by a key no trusted issuer knows is
/// `untrusted_issuer`; the same variant signed with a trusted issuer's own key and `kid` is the
/// cross-issuer case (`issuer_key_mismatch`, naming the key's real issuer).
@Suite("Row 23: iss partial match")
struct Row23IssuerMatchTests {
    static let variants = [
        "http",
        "https://issuer.keybound",
        "issuer.keybound.test",
        "https://issuer.keybound.test/",
        "https://issuer.keybound.test.attacker.example",
        "HTTPS://ISSUER.KEYBOUND.TEST",
        "https://Issuer.keybound.test",
        "https://issuer.keybound.test ",
        " https://issuer.keybound.test",
        "https://issuer.keybound.test#",
        "https://issuer.keybound.test/../",
        "",
    ]

    @Test("Variant iss, attacker key and kid → untrusted_issuer", arguments: Row23IssuerMatchTests.variants)
    func variantWithAttackerKey(iss: String) throws {
        let fixture = try AttackFixture()
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(iss))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.attackerES256), payload: claims,
                                           with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .untrustedIssuer)
    }

    @Test("Variant iss, attacker key signing under the trusted kid → unknown_key", arguments: Row23IssuerMatchTests.variants)
    func variantWithTrustedKidForged(iss: String) throws {
        let fixture = try AttackFixture()
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(iss))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: claims,
                                           with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .unknownKey)
    }

    @Test("Variant iss signed by the trusted key under its own kid → issuer_key_mismatch", arguments: Row23IssuerMatchTests.variants)
    func variantWithTrustedKey(iss: String) throws {
        let fixture = try AttackFixture()
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(iss))])
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256), payload: claims, with: AttackKeys.es256)
        let rejection = fixture.verify(token).rejection
        #expect(rejection?.code == .issuerKeyMismatch, "\(String(describing: rejection))")
        #expect(rejection?.keyIssuer == AttackFixture.issuer)
    }

    @Test("iss of the wrong type → malformed_claims; iss missing → missing_claim")
    func issTypeAndPresence() throws {
        let fixture = try AttackFixture()
        for raw in ["null", "5", "[\(AttackFixture.quoted(AttackFixture.issuer))]", "{}"] {
            let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256),
                                               payload: AttackFixture.claims([("iss", raw)]), with: AttackKeys.es256)
            #expect(fixture.code(token) == .malformedClaims, "iss=\(raw)")
        }
        let missing = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.es256),
                                             payload: AttackFixture.claims(removing: ["iss"]), with: AttackKeys.es256)
        fixture.expectRejected(missing, .missingClaim)
    }
}
