import Foundation
import Testing
import Keybound

/// Storm-0558 (a): with per-issuer trust, a token claiming the enterprise tenant but signed by the
/// consumer key (under the consumer `kid`) is `issuer_key_mismatch`, naming the consumer issuer as
/// the key's owner; with a garbage signature it is only `unknown_key` (no alert for junk).
@Suite("Storm-0558 (a): per-issuer trust")
struct StormPerIssuerTrustTests {
    @Test("Each issuer's own tokens verify")
    func legitimateTokens() throws {
        let fixture = try AttackFixture(trust: AttackStorm.perIssuerTrust())
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: AttackStorm.consumerKey))
        fixture.expectAccepted(try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                                     signedBy: AttackStorm.enterpriseKey))
    }

    @Test("Enterprise iss and tid, consumer kid, signed by the consumer key → issuer_key_mismatch")
    func forgedEnterpriseToken() throws {
        let fixture = try AttackFixture(trust: AttackStorm.perIssuerTrust())
        let forged = try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                           signedBy: AttackStorm.consumerKey)
        let rejection = try #require(fixture.verify(forged).rejection)
        #expect(rejection.code == .issuerKeyMismatch)
        #expect(rejection.keyIssuer == AttackStorm.consumerIssuer)
        #expect(rejection.tokenIssuer == AttackStorm.enterpriseIssuer)
        #expect(rejection.keyID == AttackStorm.consumerKey.keyID)
        #expect(rejection.isAlert)
    }

    @Test("The same token with a garbage signature → unknown_key")
    func garbageSignature() throws {
        let fixture = try AttackFixture(trust: AttackStorm.perIssuerTrust())
        let forged = try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                           signedBy: AttackStorm.consumerKey)
        var signature = AttackEncoding.signature(of: forged)
        for index in signature.indices { signature[index] ^= 0x5A }
        let rejection = fixture.verify(AttackEncoding.replacingSignature(of: forged, with: signature)).rejection
        #expect(rejection?.code == .unknownKey)
        #expect(rejection?.keyIssuer == nil)
        #expect(rejection?.isAlert == false)
    }

    @Test("Enterprise iss signed by the consumer key under the enterprise kid → bad_signature")
    func consumerKeyUnderEnterpriseKid() throws {
        let fixture = try AttackFixture(trust: AttackStorm.perIssuerTrust())
        let forged = try AttackStorm.token(issuer: AttackStorm.enterpriseIssuer, tenantID: AttackStorm.enterpriseTenantID,
                                           signedBy: AttackStorm.consumerKey, kid: AttackStorm.enterpriseKey.keyID)
        fixture.expectRejected(forged, .badSignature)
    }

    @Test("The reverse direction: consumer iss signed by the enterprise key → issuer_key_mismatch")
    func reverseDirection() throws {
        let fixture = try AttackFixture(trust: AttackStorm.perIssuerTrust())
        let forged = try AttackStorm.token(issuer: AttackStorm.consumerIssuer, signedBy: AttackStorm.enterpriseKey)
        let rejection = fixture.verify(forged).rejection
        #expect(rejection?.code == .issuerKeyMismatch)
        #expect(rejection?.keyIssuer == AttackStorm.enterpriseIssuer)
    }
}
