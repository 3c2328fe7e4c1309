import Foundation
import Testing
@testable import Keybound

/// Attack catalog row 26: the JWK's `alg` differs from the header's. A key is bound to one
/// algorithm (its `alg`, or the one implied by its type): any other header `alg` is
/// `algorithm_mismatch`, even with a valid signature by the same private key. An `alg` that does
/// not fit the key's curve is refused at import (`invalid_key`).
@Suite("Row 26: JWK alg vs header alg")
struct Row26KeyAlgorithmBindingTests {
    /// The PS256 key's private half, re-labelled to sign RS256.
    static let ps256AsRS256 = try! SigningKey(backing: AttackKeys.ps256.backing, keyID: AttackKeys.ps256.keyID,
                                              algorithm: .rs256, issuer: AttackFixture.issuer)

    @Test("JWK alg PS256, token RS256 validly signed by the same key → algorithm_mismatch")
    func ps256KeyRS256Token() throws {
        let fixture = try AttackFixture(algorithms: [.ps256])
        #expect(AttackKeys.ps256.publicJWK.algorithm == .ps256)
        fixture.expectAccepted(try AttackFixture.legitToken(.ps256))
        let header = AttackFixture.header(AttackKeys.ps256, alg: "RS256")
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: Self.ps256AsRS256)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("JWK alg PS256, token PS384 (not a Keybound algorithm) → unsupported_algorithm")
    func ps384Token() throws {
        let fixture = try AttackFixture(algorithms: [.ps256])
        let header = AttackFixture.header(AttackKeys.ps256, alg: "PS384")
        let token = AttackEncoding.token(header: header, payload: AttackFixture.claims(), signature: [UInt8](repeating: 1, count: 256))
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("RSA JWK without alg is pinned to RS256: a valid PS256 token by the same key → algorithm_mismatch")
    func rsaWithoutAlgPinned() throws {
        var json = AttackKeys.rs256.publicJWK.publicJSON
        json["alg"] = nil
        let key = try JWK(jsonObject: json)
        #expect(key.algorithm == .rs256)
        #expect(!key.algorithmIsDeclared)
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: JWKSet(keys: [key])))
        let fixture = try AttackFixture(trust: trust)
        fixture.expectAccepted(try AttackFixture.legitToken(.rs256))
        let pss = try SigningKey(backing: AttackKeys.rs256.backing, keyID: AttackKeys.rs256.keyID, algorithm: .ps256,
                                 issuer: AttackFixture.issuer)
        let token = try AttackFixture.sign(header: AttackFixture.header(AttackKeys.rs256, alg: "PS256"),
                                           payload: AttackFixture.claims(), with: pss)
        fixture.expectRejected(token, .algorithmMismatch)
    }

    @Test("An alg that does not fit the key is refused at import with invalid_key",
          arguments: [("P-384 key", "ES256"), ("P-256 key", "ES384"), ("P-256 key", "EdDSA"), ("Ed25519 key", "ES256"), ("RSA key", "ES256")])
    func misfitAlgRefused(keyName: String, alg: String) {
        let source: SigningKey = switch keyName {
        case "P-384 key": AttackKeys.es384
        case "P-256 key": AttackKeys.es256
        case "Ed25519 key": AttackKeys.edDSA
        default: AttackKeys.rs256
        }
        var json = source.publicJWK.publicJSON
        json["alg"] = .string(alg)
        do {
            _ = try JWK(jsonObject: json)
            Issue.record("a \(keyName) with alg \(alg) was imported")
        } catch {
            #expect(error.code == .invalidKey, "\(error)")
        }
    }

    @Test("A JWK alg outside the allowed list is refused at import with unsupported_algorithm", arguments: ["HS256", "none", "RS512", "es256"])
    func unsupportedAlgRefused(alg: String) {
        var json = AttackKeys.rs256.publicJWK.publicJSON
        json["alg"] = .string(alg)
        do {
            _ = try JWK(jsonObject: json)
            Issue.record("an RSA key with alg \(alg) was imported")
        } catch {
            #expect(error.code == .unsupportedAlgorithm, "\(error)")
        }
    }
}
