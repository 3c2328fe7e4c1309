import Foundation
import Testing
import Keybound

/// Storm-0558 (b): one "common" JWKS publishing consumer and enterprise keys, each with a per-key
/// `issuer` member. Loaded with ``TrustStore/addCommonKeySet(_:tenancies:maximumTokenLifetime:)``, each key
/// verifies only its own issuer's tokens; the forged enterprise token is `issuer_key_mismatch`.
@Suite("Storm-0558 (b): common key set with per-key issuer")
struct StormCommonKeySetTests {
    static func commonTrust() throws -> TrustStore {
        let json = AttackStorm.jwksJSON([AttackStorm.consumerKey.publicJWK.publicJSON, AttackStorm.enterpriseKey.publicJWK.publicJSON])
        #expect(json.contains("\"issuer\":\"https://login.keybound.test/consumers/v2.0\""))
        let set = try JWKSet(json: Array(json.utf8))
        #expect(set.keys.count == 2)
        var trust = TrustStore()
        try trust.addCommonKeySet(set, tenancies: AttackStorm.commonTenancies)
        return trust
    }

    @Test("Both issuers' own tokens verify")
    func legitimateTokens() throws {
        let fixture = try AttackFixture(trust: Self.commonTrust())
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: AttackStorm.consumerKey))
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                                     signedBy: AttackStorm.enterpriseKey))
    }

    @Test("Enterprise iss, consumer kid, signed by the consumer key → issuer_key_mismatch")
    func forgedEnterpriseToken() throws {
        let fixture = try AttackFixture(trust: Self.commonTrust())
        let forged = try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                           signedBy: AttackStorm.consumerKey)
        let rejection = fixture.verify(forged).rejection
        #expect(rejection?.code == .issuerKeyMismatch)
        #expect(rejection?.keyIssuer == AttackStorm.consumerIssuer)
    }

    @Test("The common set's issuers are exactly the per-key issuers")
    func issuersFromKeys() throws {
        let trust = try Self.commonTrust()
        #expect(trust.issuerIdentifiers == [AttackStorm.consumerIssuer, AttackStorm.enterpriseIssuer].sorted())
        #expect(trust.issuer(AttackStorm.consumerIssuer)?.keyIDs == [AttackStorm.consumerKey.keyID])
        #expect(trust.issuer(AttackStorm.enterpriseIssuer)?.keyIDs == [AttackStorm.enterpriseKey.keyID])
    }
}
