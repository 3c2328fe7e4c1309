import Foundation
import Testing
import Keybound

/// Proves the JWS wiring end to end for each of the five algorithms, with freshly generated keys
/// (the Wycheproof messages are raw messages, not JWS signing inputs, so they cannot be wrapped as
/// verifiable tokens): `TokenSigner` output verifies with `JWSVerifier(key:)` against the public
/// JWK; the signature checks over exactly the ASCII `header.payload`; a flipped signature bit gives
/// `bad_signature`; and a header naming another supported algorithm gives `algorithm_mismatch`.
@Suite("JWS end to end with generated keys")
struct JWSEndToEndTests {
    @Test("sign, verify and tamper", arguments: JWSAlgorithm.allCases)
    func roundTrip(algorithm: JWSAlgorithm) throws {
        let issuer = "https://issuer.example"
        let key = try SigningKey.generate(algorithm: algorithm, issuer: issuer, keyID: "k1")
        let claims = JSONObject(["iss": .string(issuer), "sub": .string("alice")])
        let token = try TokenSigner(key: key).sign(claims: claims)
        let verifier = JWSVerifier(key: key.publicJWK)

        let verified = try verifier.verify(token).get()
        #expect(verified.algorithm == algorithm)
        #expect(verified.keyID == "k1")
        #expect(try StrictJSONParser.parseObject(verified.payload) == claims)

        let parts = token.components(separatedBy: ".")
        try #require(parts.count == 3)
        let signature = try #require(VectorEncoding.fromBase64URL(parts[2]))
        let signingInput = Array((parts[0] + "." + parts[1]).utf8)
        #expect(key.publicJWK.publicKey.isValidSignature(signature, for: signingInput, algorithm: algorithm))
        #expect(!key.publicJWK.publicKey.isValidSignature(signature, for: signingInput.dropLast(), algorithm: algorithm))

        var flipped = signature
        flipped[0] ^= 0x80
        #expect(verifier.verify(parts[0] + "." + parts[1] + "." + VectorEncoding.base64URL(flipped)).vectorRejectionCode == .badSignature)

        for other in JWSAlgorithm.allCases where other != algorithm {
            let header = VectorEncoding.base64URL(Array("{\"alg\":\"\(other.rawValue)\",\"kid\":\"k1\"}".utf8))
            #expect(verifier.verify(header + "." + parts[1] + "." + parts[2]).vectorRejectionCode == .algorithmMismatch,
                    "\(algorithm.rawValue) key accepted a \(other.rawValue) header")
        }
    }
}
