import Foundation
import Testing
import Keybound

/// Attack catalog row 7 (CVE-2022-21449, "psychic signatures"): ES256/ES384 signatures with r or
/// s equal to 0, 1, n−1 or n. Only 1 ≤ r, s ≤ n−1 can verify; none of these does: `bad_signature`.
@Suite("Row 7: ECDSA psychic signatures")
struct Row07PsychicSignatureTests {
    enum Scalar: String, CaseIterable, Sendable { case zero, one, nMinusOne, n, allOnes }

    static func value(_ scalar: Scalar, order: [UInt8]) -> [UInt8] {
        let width = order.count
        switch scalar {
        case .zero: return [UInt8](repeating: 0, count: width)
        case .one: return AttackECDSAMath.small(1, width: width)
        case .nMinusOne: return AttackECDSAMath.subtract(order, AttackECDSAMath.small(1, width: width))
        case .n: return order
        case .allOnes: return [UInt8](repeating: 0xFF, count: width)
        }
    }

    static var pairs: [(Scalar, Scalar)] {
        Scalar.allCases.flatMap { r in Scalar.allCases.map { s in (r, s) } }
    }

    @Test("ES256 r=s=0 (64 zero bytes) → bad_signature")
    func es256AllZero() throws {
        let fixture = try AttackFixture()
        let token = AttackEncoding.replacingSignature(of: try AttackFixture.legitToken(), with: [UInt8](repeating: 0, count: 64))
        fixture.expectRejected(token, .badSignature)
    }

    @Test("ES256 every combination of r, s ∈ {0, 1, n−1, n, 2^256−1} → bad_signature")
    func es256EdgeScalars() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        for (r, s) in Self.pairs {
            let signature = Self.value(r, order: AttackECDSAMath.p256Order) + Self.value(s, order: AttackECDSAMath.p256Order)
            let token = AttackEncoding.replacingSignature(of: legit, with: signature)
            #expect(fixture.code(token) == .badSignature, "r=\(r) s=\(s)")
        }
    }

    @Test("ES384 every combination of r, s ∈ {0, 1, n−1, n, 2^384−1} → bad_signature")
    func es384EdgeScalars() throws {
        let fixture = try AttackFixture(algorithms: [.es384])
        let legit = try AttackFixture.legitToken(.es384)
        for (r, s) in Self.pairs {
            let signature = Self.value(r, order: AttackECDSAMath.p384Order) + Self.value(s, order: AttackECDSAMath.p384Order)
            let token = AttackEncoding.replacingSignature(of: legit, with: signature)
            #expect(fixture.code(token) == .badSignature, "r=\(r) s=\(s)")
        }
    }

    @Test("ES256 with the real r and s=0, or r=0 and the real s → bad_signature")
    func es256HalfZero() throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let signature = AttackEncoding.signature(of: legit)
        let zero = [UInt8](repeating: 0, count: 32)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: Array(signature[0..<32]) + zero), .badSignature)
        fixture.expectRejected(AttackEncoding.replacingSignature(of: legit, with: zero + Array(signature[32...])), .badSignature)
    }
}
