import Foundation
import Testing
import Keybound

/// Attack catalog row 9: Ed25519 malleability and small-order points. S + L (S ≥ L) and
/// non-canonical R are `bad_signature`; small-order public keys are refused at import
/// (`weak_key`), so a key set entry holding one verifies nothing (`key_not_usable`).
@Suite("Row 9: Ed25519 non-canonical S and small-order keys")
struct Row09Ed25519Tests {
    static let identity: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 31)
    static let orderEight = AttackEncoding.hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
    static let orderTwo: [UInt8] = [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    static let smallOrderKeys: [[UInt8]] = [
        identity, orderEight, orderTwo, [UInt8](repeating: 0, count: 32),
        Array(identity.dropLast()) + [0x80],  // the identity with the sign bit set
    ]

    static func okpJSON(_ x: [UInt8], kid: String = "weak-eddsa", issuer: String? = nil) -> String {
        var text = #"{"kty":"OKP","crv":"Ed25519","kid":"\#(kid)","x":"\#(Base64URL.encode(x))""#
        if let issuer { text += #","issuer":"\#(issuer)""# }
        return text + "}"
    }

    @Test("S + L of a valid signature → bad_signature")
    func sPlusL() throws {
        let fixture = try AttackFixture(algorithms: [.edDSA])
        let legit = try AttackFixture.legitToken(.edDSA)
        fixture.expectAccepted(legit)
        let raw = AttackEncoding.signature(of: legit)
        let malleated = Array(raw[0..<32]) + AttackECDSAMath.addLittleEndian(Array(raw[32...]), AttackECDSAMath.ed25519Order)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: malleated), .badSignature)
    }

    @Test("S = L and S = 2^256 − 1 with the real R → bad_signature")
    func sOutOfRange() throws {
        let fixture = try AttackFixture(algorithms: [.edDSA])
        let legit = try AttackFixture.legitToken(.edDSA)
        let r = Array(AttackEncoding.signature(of: legit)[0..<32])
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: r + AttackECDSAMath.ed25519Order), .badSignature)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: r + [UInt8](repeating: 0xFF, count: 32)), .badSignature)
    }

    @Test("R = identity, S = 0, and R non-canonical → bad_signature")
    func degenerateR() throws {
        let fixture = try AttackFixture(algorithms: [.edDSA])
        let legit = try AttackFixture.legitToken(.edDSA)
        let s = Array(AttackEncoding.signature(of: legit)[32...])
        let zero = [UInt8](repeating: 0, count: 32)
        let nonCanonicalOne: [UInt8] = [0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: Self.identity + zero), .badSignature)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: nonCanonicalOne + s), .badSignature)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: zero + zero), .badSignature)
    }

    @Test("Small-order public keys are refused at import with weak_key",
          arguments: Row09Ed25519Tests.smallOrderKeys)
    func smallOrderKeyRefused(x: [UInt8]) {
        do {
            _ = try JWK(json: Array(Self.okpJSON(x).utf8))
            Issue.record("a small-order Ed25519 key was imported")
        } catch {
            #expect(error.code == .weakKey, "\(error)")
        }
    }

    @Test("A non-canonical public key (y ≥ p) is refused at import with invalid_key")
    func nonCanonicalKeyRefused() {
        let yAbovePrime: [UInt8] = [0xF0] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]
        do {
            _ = try JWK(json: Array(Self.okpJSON(yAbovePrime).utf8))
            Issue.record("a non-canonical Ed25519 key was imported")
        } catch {
            #expect(error.code == .invalidKey, "\(error)")
        }
    }

    @Test("A trusted set holding the identity key: identity R, S = 0 token naming it → key_not_usable")
    func identityKeyInSetVerifiesNothing() throws {
        let json = #"{"keys":[\#(Self.okpJSON(Self.identity))]}"#
        let set = try JWKSet(json: Array(json.utf8))
        #expect(set.keys.isEmpty)
        #expect(set.unusableKeys.first?.error.code == .weakKey)
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: set))
        let fixture = try AttackFixture(trust: trust)
        let header = #"{"alg":"EdDSA","kid":"weak-eddsa","typ":"at+jwt"}"#
        let token = AttackEncoding.token(header: header, payload: AttackFixture.claims(),
                                         signature: Self.identity + [UInt8](repeating: 0, count: 32))
        fixture.expectRejected(token, .keyNotUsable)
    }
}
