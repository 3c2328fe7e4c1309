import Foundation
import Testing
@testable import Keybound

/// Attack catalog row 3: a `kid` that selects a key of the wrong type in a mixed key set. Each
/// key is bound to one algorithm (`algorithm_mismatch`), HMAC is never accepted, and key sets
/// that mix in symmetric keys or repeat a `kid` are refused at import.
@Suite("Row 3: kid selects a key of the wrong type")
struct Row03KidWrongKeyTypeTests {
    static let mixed: [JWSAlgorithm] = [.es256, .rs256, .edDSA, .ps256]

    @Test("HS256 naming the RSA key's kid → unsupported_algorithm")
    func hs256NamingRSAKey() throws {
        let fixture = try AttackFixture(algorithms: Self.mixed)
        let header = AttackFixture.header(AttackKeys.rs256, alg: "HS256")
        let token = AttackEncoding.token(header: header, payload: AttackFixture.claims(), signature: [UInt8](repeating: 7, count: 32))
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("ES256 header naming the RSA key, signed by an EC key → algorithm_mismatch")
    func es256NamingRSAKey() throws {
        let fixture = try AttackFixture(algorithms: Self.mixed)
        let header = AttackFixture.header(AttackKeys.rs256, alg: "ES256")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerES256)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("RS256 header naming the EC key, signed by an RSA key → algorithm_mismatch")
    func rs256NamingECKey() throws {
        let fixture = try AttackFixture(algorithms: Self.mixed)
        let header = AttackFixture.header(AttackKeys.es256, alg: "RS256")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.attackerRS256)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("EdDSA header naming the EC key → algorithm_mismatch")
    func edDSANamingECKey() throws {
        let fixture = try AttackFixture(algorithms: Self.mixed)
        let header = AttackFixture.header(AttackKeys.es256, alg: "EdDSA")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.edDSA)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("PS256 header naming the RS256-bound key, with a valid PSS signature by that key → algorithm_mismatch")
    func ps256NamingRS256Key() throws {
        let fixture = try AttackFixture(algorithms: Self.mixed)
        let pssTwin = try SigningKey(backing: AttackKeys.rs256.backing, keyID: AttackKeys.rs256.keyID,
                                     algorithm: .ps256, issuer: AttackFixture.issuer)
        let header = AttackFixture.header(AttackKeys.rs256, alg: "PS256")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: pssTwin)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("A JWKS mixing an oct key with asymmetric keys is refused whole")
    func mixedSymmetryKeySetRefused() throws {
        let rsa = JSONWriter().string(.object(AttackKeys.rs256.publicJWK.publicJSON))
        let json = #"{"keys":[\#(rsa),{"kty":"oct","kid":"hmac","k":"c2VjcmV0","alg":"HS256"}]}"#
        do {
            _ = try JWKSet(json: Array(json.utf8))
            Issue.record("a key set mixing in an oct key was accepted")
        } catch {
            #expect(error.code == .symmetricKey)
        }
    }

    @Test("A JWKS with a duplicate kid (RSA and EC under one kid) is refused")
    func duplicateKidRefused() throws {
        var ec = AttackKeys.es256.publicJWK.publicJSON
        ec["kid"] = .string(AttackKeys.rs256.keyID)
        let json = "{\"keys\":[" + JSONWriter().string(.object(AttackKeys.rs256.publicJWK.publicJSON)) + ","
            + JSONWriter().string(.object(ec)) + "]}"
        do {
            _ = try JWKSet(json: Array(json.utf8))
            Issue.record("a key set with a duplicate kid was accepted")
        } catch {
            #expect(error.code == .duplicateKeyID)
        }
    }
}
