import Foundation
import Testing
import Keybound

/// Storm-0558 (f): a key that names its issuer can only be trusted for that issuer. Trusting the
/// consumer key (or a key set holding it) for the enterprise issuer is refused with `issuer_binding`.
@Suite("Storm-0558 (f): issuer binding at import")
struct StormIssuerBindingImportTests {
    static func expectIssuerBinding(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("a key bound to another issuer was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? KeyImportError)?.code == .issuerBinding, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("TrustedIssuer refuses a JWKS whose key carries another issuer's issuer member")
    func keySetWithForeignKey() {
        Self.expectIssuerBinding {
            _ = try TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .tenant(AttackStorm.enterpriseTenantID),
                                  keySet: JWKSet(keys: [AttackStorm.enterpriseKey.publicJWK, AttackStorm.consumerKey.publicJWK]))
        }
    }

    @Test("The same refusal when the set is parsed from JSON text")
    func keySetFromJSON() {
        let json = AttackStorm.jwksJSON([AttackStorm.consumerKey.publicJWK.publicJSON])
        Self.expectIssuerBinding {
            _ = try TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .noTenant, keySet: JWKSet(json: Array(json.utf8)))
        }
    }

    @Test("TrustedIssuer.add refuses a single foreign key")
    func addForeignKey() {
        Self.expectIssuerBinding {
            var issuer = TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .noTenant)
            try issuer.add(TrustedKey(AttackStorm.consumerKey.publicJWK))
        }
    }

    @Test("A foreign issuer member on a key refused as weak still blocks the set")
    func unusableForeignKey() throws {
        let weak = #"{"kty":"RSA","kid":"weak","issuer":"\#(AttackStorm.consumerIssuer)","n":"\#(Base64URL.encode([UInt8](repeating: 0xC1, count: 128)))","e":"AQAB"}"#
        let set = try JWKSet(json: Array(#"{"keys":[\#(weak)]}"#.utf8))
        #expect(set.unusableKeys.count == 1)
        Self.expectIssuerBinding {
            _ = try TrustedIssuer(identifier: AttackStorm.enterpriseIssuer, tenancy: .noTenant, keySet: set)
        }
    }

    @Test("Issuer binding compares exactly: a trailing-slash variant is another issuer")
    func exactComparison() {
        Self.expectIssuerBinding {
            _ = try TrustedIssuer(identifier: AttackStorm.consumerIssuer + "/", tenancy: .noTenant, keySet: JWKSet(keys: [AttackStorm.consumerKey.publicJWK]))
        }
    }

    @Test("The consumer key is accepted for the consumer issuer")
    func ownIssuerAccepted() throws {
        let issuer = try TrustedIssuer(identifier: AttackStorm.consumerIssuer, tenancy: .noTenant, keySet: JWKSet(keys: [AttackStorm.consumerKey.publicJWK]))
        #expect(issuer.key(withID: AttackStorm.consumerKey.keyID) != nil)
    }

    @Test("A trust store refuses a second issuer with the same identifier")
    func duplicateIssuer() throws {
        var trust = try AttackStorm.perIssuerTrust()
        Self.expectIssuerBinding {
            try trust.add(TrustedIssuer(identifier: AttackStorm.consumerIssuer, tenancy: .noTenant))
        }
    }
}
