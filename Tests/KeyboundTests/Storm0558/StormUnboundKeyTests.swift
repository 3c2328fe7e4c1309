import Foundation
import Testing
import Keybound

/// Storm-0558 (d): a key in a common set with no `issuer` member is bound to no one and verifies
/// nothing (`key_not_usable`): validation fails closed, unlike the 2023 SDK default.
@Suite("Storm-0558 (d): key without issuer in a common set")
struct StormUnboundKeyTests {
    static let orphan = AttackKeys.make(.es256, AttackStorm.consumerIssuer, "orphan-1")

    static var orphanJSON: JSONObject {
        var json = orphan.publicJWK.publicJSON
        json["issuer"] = nil
        return json
    }

    static func fixture() throws -> AttackFixture {
        let json = AttackStorm.jwksJSON([AttackStorm.consumerKey.publicJWK.publicJSON, orphanJSON])
        var trust = TrustStore()
        try trust.addCommonKeySet(JWKSet(json: Array(json.utf8)), tenancies: AttackStorm.commonTenancies)
        return try AttackFixture(trust: trust)
    }

    @Test("A correctly signed token naming the unbound key, for a trusted issuer → key_not_usable")
    func trustedIssuer() throws {
        let fixture = try Self.fixture()
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: AttackStorm.consumerKey))
        fixture.expectRejected(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: Self.orphan), .keyNotUsable)
    }

    @Test("… and for any other issuer → key_not_usable", arguments: [AttackStorm.enterpriseIssuer, "https://anyone.example"])
    func otherIssuers(issuer: String) throws {
        let fixture = try Self.fixture()
        fixture.expectRejected(try AttackStorm.token(issuer: issuer, signedBy: Self.orphan), .keyNotUsable)
    }

    @Test("The same key without issuer member, trusted per issuer, is bound by placement and verifies")
    func perIssuerPlacement() throws {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackStorm.consumerIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [JWK(jsonObject: Self.orphanJSON)])))
        let fixture = try AttackFixture(trust: trust)
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: Self.orphan))
    }
}
