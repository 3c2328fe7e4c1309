import Crypto
import Foundation
import Testing
import Keybound

/// Attack catalog row 8: ECDSA encoding and malleability. Only raw r‖s of exactly 64 (ES256) or
/// 96 (ES384) bytes is accepted: DER, extra bytes, trailing zeros and out-of-range scalars are
/// `bad_signature`. The high-S twin (r, n−s) of a valid signature is *accepted*: JWS has no low-S rule.
@Suite("Row 8: ECDSA encoding and malleability")
struct Row08ECDSAEncodingTests {
    @Test("The DER encoding of a valid ES256 signature → bad_signature")
    func derSignature() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let raw = AttackEncoding.signature(of: legit)
        let der = Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
        #expect(der.count != 64 || der != raw)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: der), .badSignature)
    }

    @Test("The DER encoding of a valid ES384 signature → bad_signature")
    func derSignatureES384() throws {
        let fixture = try AttackFixture(algorithms: [.es384])
        let legit = try AttackFixture.legitToken(.es384)
        let der = Array(try P384.Signing.ECDSASignature(rawRepresentation: AttackEncoding.signature(of: legit)).derRepresentation)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: der), .badSignature)
    }

    @Test("A valid signature with bytes appended or prepended → bad_signature")
    func wrongLength() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let raw = AttackEncoding.signature(of: legit)
        let variants: [(String, [UInt8])] = [
            ("65 bytes, one trailing zero", raw + [0]),
            ("66 bytes, two trailing zeros", raw + [0, 0]),
            ("96 bytes, trailing zeros", raw + [UInt8](repeating: 0, count: 32)),
            ("trailing garbage", raw + [0xDE, 0xAD]),
            ("65 bytes, leading zero", [0] + raw),
            ("r and s padded to 33 bytes", [0] + raw[0..<32] + [0] + raw[32...]),
            ("63 bytes", Array(raw.dropLast())),
        ]
        for (name, signature) in variants {
            #expect(fixture.code(AttackEncoding.replacingSignature(of: legit, with: signature)) == .badSignature, "\(name)")
        }
    }

    @Test("s + n (IntegerOverflow, 33 bytes) and r = n + 1 → bad_signature")
    func scalarsAtOrAboveOrder() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let raw = AttackEncoding.signature(of: legit)
        let n = AttackECDSAMath.p256Order
        let s = Array(raw[32...])
        let sPlusN = AttackECDSAMath.add([0] + s, [0] + n)!
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: Array(raw[0..<32]) + sPlusN), .badSignature)
        let nPlusOne = AttackECDSAMath.add(n, AttackECDSAMath.small(1, width: 32))!
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: nPlusOne + s), .badSignature)
        if let sPlusNFits = AttackECDSAMath.add(s, n) {
            fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: Array(raw[0..<32]) + sPlusNFits), .badSignature)
        }
    }

    @Test("The high-S twin (r, n − s) of a valid ES256 signature is accepted")
    func highSTwinAccepted() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let raw = AttackEncoding.signature(of: legit)
        let twinS = AttackECDSAMath.subtract(AttackECDSAMath.p256Order, Array(raw[32...]))
        let twin = Array(raw[0..<32]) + twinS
        #expect(twin != raw)
        fixture.expectAccepted(legit)
        fixture.expectAccepted(AttackEncoding.replacingSignature(of: legit, with: twin))
    }

    @Test("The high-S twin of a valid ES384 signature is accepted")
    func highSTwinAcceptedES384() throws {
        let fixture = try AttackFixture(algorithms: [.es384])
        let legit = try AttackFixture.legitToken(.es384)
        let raw = AttackEncoding.signature(of: legit)
        let twin = Array(raw[0..<48]) + AttackECDSAMath.subtract(AttackECDSAMath.p384Order, Array(raw[48...]))
        fixture.expectAccepted(AttackEncoding.replacingSignature(of: legit, with: twin))
    }
}
