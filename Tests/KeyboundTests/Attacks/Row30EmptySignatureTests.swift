import Foundation
import Testing
import Keybound

/// Attack catalog row 30: empty or truncated signatures (CVE-2020-28042). A zero-length or short
/// signature never verifies: `bad_signature` for every asymmetric algorithm; the HS256 form stops
/// at the algorithm check.
@Suite("Row 30: empty or truncated signature")
struct Row30EmptySignatureTests {
    @Test("h.p. (empty signature) → bad_signature", arguments: JWSAlgorithm.allCases)
    func emptySignature(algorithm: JWSAlgorithm) throws {
        let fixture = try AttackFixture(algorithms: JWSAlgorithm.allCases)
        let legit = try AttackFixture.legitToken(algorithm)
        fixture.expectAccepted(legit)
        fixture.expectRejected(AttackEncoding.replacingSignatureText(of: legit, with: ""), .badSignature)
    }

    @Test("Truncated signatures (half, 16 bytes, 1 byte, all but the last byte) → bad_signature", arguments: JWSAlgorithm.allCases)
    func truncatedSignature(algorithm: JWSAlgorithm) throws {
        let fixture = try AttackFixture(algorithms: JWSAlgorithm.allCases)
        let legit = try AttackFixture.legitToken(algorithm)
        let signature = AttackEncoding.signature(of: legit)
        for length in [signature.count / 2, 16, 1, signature.count - 1] {
            let token = AttackEncoding.replacingSignature(of: legit, with: Array(signature.prefix(length)))
            #expect(fixture.code(token) == .badSignature, "\(algorithm.rawValue) truncated to \(length) bytes")
        }
    }

    @Test("An all-zero signature of the right length → bad_signature", arguments: [JWSAlgorithm.rs256, .ps256, .edDSA])
    func zeroSignature(algorithm: JWSAlgorithm) throws {
        let fixture = try AttackFixture(algorithms: [algorithm])
        let legit = try AttackFixture.legitToken(algorithm)
        let length = AttackEncoding.signature(of: legit).count
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: [UInt8](repeating: 0, count: length)), .badSignature)
    }

    @Test("HS256 with an empty or 16-byte tag → unsupported_algorithm")
    func hs256Forms() throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, alg: "HS256")
        let base = AttackEncoding.b64(header) + "." + AttackEncoding.b64(AttackFixture.claims()) + "."
        fixture.expectRejected(base, .unsupportedAlgorithm)
        fixture.expectRejected(base + AttackEncoding.b64([UInt8](repeating: 9, count: 16)), .unsupportedAlgorithm)
    }
}
