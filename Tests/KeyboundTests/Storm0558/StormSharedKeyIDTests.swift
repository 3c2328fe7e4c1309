import Foundation
import Testing
import Keybound

/// Storm-0558 (e): keys are found by (issuer, kid), never by kid alone, so two issuers using the
/// same `kid` never confuse each other.
@Suite("Storm-0558 (e): two issuers, one kid")
struct StormSharedKeyIDTests {
    static let kid = "2023-06"
    static let consumerKey = AttackKeys.make(.es256, AttackStorm.consumerIssuer, kid)
    static let enterpriseKey = AttackKeys.make(.es256, AttackStorm.enterpriseIssuer, kid)
    static let thirdIssuer = "https://third.keybound.test"
    static let thirdKey = AttackKeys.make(.es256, thirdIssuer, "third-1")

    static func perIssuer() throws -> AttackFixture {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackStorm.consumerIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [consumerKey.publicJWK])))
        try trust.add(TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [enterpriseKey.publicJWK])))
        try trust.add(TrustedIssuer(identifier: thirdIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [thirdKey.publicJWK])))
        return try AttackFixture(trust: trust)
    }

    /// These tokens carry no tid: the issuers of the common sets are stated to have none.
    static let noTenants: [String: Tenancy] = [AttackStorm.consumerIssuer: .noTenant, AttackStorm.enterpriseIssuer: .noTenant]

    static func twoCommonSets() throws -> AttackFixture {
        var trust = TrustStore()
        try trust.addCommonKeySet(JWKSet(json: Array(AttackStorm.jwksJSON([consumerKey.publicJWK.publicJSON]).utf8)), tenancies: Self.noTenants)
        try trust.addCommonKeySet(JWKSet(json: Array(AttackStorm.jwksJSON([enterpriseKey.publicJWK.publicJSON]).utf8)), tenancies: Self.noTenants)
        return try AttackFixture(trust: trust)
    }

    @Test("Each issuer's token verifies with its own key", arguments: [true, false])
    func ownTokens(perIssuerTrust: Bool) throws {
        let fixture = try perIssuerTrust ? Self.perIssuer() : Self.twoCommonSets()
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: Self.consumerKey))
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, signedBy: Self.enterpriseKey))
    }

    @Test("Enterprise iss signed by the consumer key under the shared kid → bad_signature (the enterprise key is used)",
          arguments: [true, false])
    func crossSigned(perIssuerTrust: Bool) throws {
        let fixture = try perIssuerTrust ? Self.perIssuer() : Self.twoCommonSets()
        fixture.expectRejected(try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, signedBy: Self.consumerKey), .badSignature)
        fixture.expectRejected(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: Self.enterpriseKey), .badSignature)
    }

    @Test("A third issuer's token signed by the consumer key under the shared kid → issuer_key_mismatch naming the consumer")
    func thirdIssuerNamesTheRightOwner() throws {
        let fixture = try Self.perIssuer()
        let rejection = fixture.verify(try AttackStorm.token(issuer: Self.thirdIssuer, signedBy: Self.consumerKey)).rejection
        #expect(rejection?.code == .issuerKeyMismatch)
        #expect(rejection?.keyIssuer == AttackStorm.consumerIssuer)
        let other = fixture.verify(try AttackStorm.token(issuer: Self.thirdIssuer, signedBy: Self.enterpriseKey)).rejection
        #expect(other?.keyIssuer == AttackStorm.enterpriseIssuer)
    }

    @Test("One JWKS cannot carry the same kid twice, even for different issuers → duplicate_kid")
    func oneSetRefusesDuplicateKid() {
        let json = AttackStorm.jwksJSON([Self.consumerKey.publicJWK.publicJSON, Self.enterpriseKey.publicJWK.publicJSON])
        do {
            _ = try JWKSet(json: Array(json.utf8))
            Issue.record("a key set with a repeated kid was accepted")
        } catch {
            #expect(error.code == .duplicateKeyID)
        }
    }
}
