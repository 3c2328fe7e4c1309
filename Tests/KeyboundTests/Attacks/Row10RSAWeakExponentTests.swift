import Foundation
import Testing
import Keybound

/// Attack catalog row 10: Bleichenbacher's e=3 forgery needs a key with a small exponent.
/// Keybound refuses e ≠ 65537 at import (`weak_key`); a key set entry holding such a key is kept
/// as unusable, so a token naming it is `key_not_usable` and no PKCS#1 parsing is ever reached.
@Suite("Row 10: RSA small exponents")
struct Row10RSAWeakExponentTests {
    static func rsaJSON(exponent: String, kid: String = "weak-rsa") -> String {
        let n = AttackKeys.rs256.publicJWK.publicJSON["n"]!.stringValue!
        return #"{"kty":"RSA","kid":"\#(kid)","alg":"RS256","n":"\#(n)","e":"\#(exponent)"}"#
    }

    @Test("e = 3, e = 1, e = 5, e = 17 and e = 2^32+1 are refused at import with weak_key",
          arguments: ["Aw", "AQ", "BQ", "EQ", "AQAAAAE"])
    func smallExponentRefused(exponent: String) {
        do {
            _ = try JWK(json: Array(Self.rsaJSON(exponent: exponent).utf8))
            Issue.record("RSA key with e=\(exponent) was imported")
        } catch {
            #expect(error.code == .weakKey, "\(error)")
        }
    }

    @Test("The same modulus with e = 65537 imports, so the exponent is what is refused")
    func standardExponentImports() throws {
        let key = try JWK(json: Array(Self.rsaJSON(exponent: "AQAB").utf8))
        #expect(key.algorithm == .rs256)
    }

    @Test("A token naming an e=3 key of a trusted set → key_not_usable")
    func tokenNamingE3Key() throws {
        let set = try JWKSet(json: Array(#"{"keys":[\#(Self.rsaJSON(exponent: "Aw"))]}"#.utf8))
        #expect(set.unusableKeys.map(\.keyID) == ["weak-rsa"])
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: set))
        let fixture = try AttackFixture(trust: trust)
        let header = #"{"alg":"RS256","kid":"weak-rsa","typ":"at+jwt"}"#
        // A "cube-root" forgery would be some 256-byte value; which one is irrelevant here.
        var forged = [UInt8](repeating: 0, count: 256)
        forged[255] = 1
        fixture.expectRejected(AttackEncoding.token(header: header, payload: AttackFixture.claims(), signature: forged), .keyNotUsable)
    }
}
