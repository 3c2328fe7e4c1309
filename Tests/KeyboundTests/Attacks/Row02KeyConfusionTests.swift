import Crypto
import Foundation
import Testing
import Keybound

/// Attack catalog row 2: HMAC/RSA (or EC) key confusion. The "signature" is an HMAC keyed with
/// the verifier's public key bytes. With `HS256` it stops at the algorithm check
/// (`unsupported_algorithm`); with an asymmetric `alg` it reaches the key and fails as
/// `bad_signature`, because a public key is never an HMAC secret.
@Suite("Row 2: HMAC keyed with the public key")
struct Row02KeyConfusionTests {
    /// The forms of a public key an attacker would try as an HMAC secret.
    static func publicKeyForms(_ key: SigningKey) -> [(String, [UInt8])] {
        let jwkJSON = JSONWriter().bytes(.object(key.publicJWK.publicJSON))
        var forms: [(String, [UInt8])] = [("JWK JSON", jwkJSON)]
        switch key.publicJWK.publicKey {
        case .p256(let publicKey):
            forms.append(("x963", Array(publicKey.x963Representation)))
            forms.append(("x‖y", Array(publicKey.rawRepresentation)))
            forms.append(("DER", Array(publicKey.derRepresentation)))
            forms.append(("PEM", Array(publicKey.pemRepresentation.utf8)))
        case .rsa(let publicKey):
            forms.append(("DER", Array(publicKey.derRepresentation)))
            forms.append(("PEM", Array(publicKey.pemRepresentation.utf8)))
            forms.append(("PKCS1 DER", Array(publicKey.pkcs1DERRepresentation)))
        default:
            break
        }
        return forms
    }

    static func hmac(_ signingInput: String, key: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: key)))
    }

    /// `b64(header).b64(claims).b64(HMAC(publicKeyBytes, signingInput) repeated to length)`.
    static func forge(alg: String, key: SigningKey, secret: [UInt8], length: Int = 32) -> String {
        let header = AttackFixture.header(key, alg: alg)
        let signingInput = AttackEncoding.b64(header) + "." + AttackEncoding.b64(AttackFixture.claims())
        var tag = hmac(signingInput, key: secret)
        while tag.count < length { tag += hmac(signingInput + String(tag.count), key: secret) }
        return signingInput + "." + AttackEncoding.b64(Array(tag.prefix(length)))
    }

    @Test("HS256 keyed with the RSA or EC public key in any form", arguments: [JWSAlgorithm.rs256, .es256])
    func classicHS256(algorithm: JWSAlgorithm) throws {
        let fixture = try AttackFixture(algorithms: [algorithm])
        let key = AttackKeys.trusted(algorithm)
        for (form, secret) in Self.publicKeyForms(key) {
            let token = Self.forge(alg: "HS256", key: key, secret: secret)
            #expect(fixture.code(token) == .unsupportedAlgorithm, "form \(form)")
        }
    }

    @Test("HS384 and HS512 are refused too", arguments: ["HS384", "HS512"])
    func otherHMACs(alg: String) throws {
        let fixture = try AttackFixture(algorithms: [.rs256])
        let secret = Self.publicKeyForms(AttackKeys.rs256)[0].1
        fixture.expectRejected(Self.forge(alg: alg, key: AttackKeys.rs256, secret: secret), .unsupportedAlgorithm)
    }

    @Test("RS256 header with an HMAC of the public key (tag length and modulus length) → bad_signature")
    func rs256HeaderWithHMAC() throws {
        let fixture = try AttackFixture(algorithms: [.rs256])
        for (form, secret) in Self.publicKeyForms(AttackKeys.rs256) {
            for length in [32, 256] {
                let token = Self.forge(alg: "RS256", key: AttackKeys.rs256, secret: secret, length: length)
                #expect(fixture.code(token) == .badSignature, "form \(form), \(length) bytes")
            }
        }
    }

    @Test("ES256 header with an HMAC of the public key (32 and 64 bytes) → bad_signature")
    func es256HeaderWithHMAC() throws {
        let fixture = try AttackFixture(algorithms: [.es256])
        for (form, secret) in Self.publicKeyForms(AttackKeys.es256) {
            for length in [32, 64] {
                let token = Self.forge(alg: "ES256", key: AttackKeys.es256, secret: secret, length: length)
                #expect(fixture.code(token) == .badSignature, "form \(form), \(length) bytes")
            }
        }
    }
}
