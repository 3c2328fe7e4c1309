import Testing
import Keybound

/// Proves that ES256 and ES384 signature checks (`JWSPublicKey.isValidSignature` with keys
/// imported as JWKs) agree with every Wycheproof ECDSA P1363 vector (raw r ‖ s, the JWS form):
/// every `valid` signature verifies, every `invalid` one does not, no signature verifies under
/// another algorithm, and every group's key imports (groups without a JWK use `publicKey.uncompressed`).
///
/// `acceptable`: the v1 P1363 files label none. High-S twins are labelled `valid`, and JWS has no
/// low-S rule (RFC 7518 §3.4), so Keybound accepts them; the test counts the high-S ones accepted (70 and 88).
/// An `acceptable` vector in a future file fails here until a choice is written down.
@Suite("Wycheproof ECDSA P1363 (ES256, ES384)")
struct WycheproofECDSATests {
    /// ⌊n / 2⌋ of P-256, big-endian: S above it is "high".
    static let p256HalfOrder = VectorEncoding.hex("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8")!
    /// ⌊n / 2⌋ of P-384, big-endian.
    static let p384HalfOrder = VectorEncoding.hex("7fffffffffffffffffffffffffffffffffffffffffffffffe3b1a6c0fa1b96efac0d06d9245853bd76760cb5666294b9")!

    @Test("ES256: ecdsa_secp256r1_sha256_p1363_test.json")
    func es256() throws {
        try check("ecdsa_secp256r1_sha256_p1363_test.json", algorithm: .es256, expectedTests: 262, halfOrder: Self.p256HalfOrder, expectedHighS: 70)
    }

    @Test("ES384: ecdsa_secp384r1_sha384_p1363_test.json")
    func es384() throws {
        try check("ecdsa_secp384r1_sha384_p1363_test.json", algorithm: .es384, expectedTests: 280, halfOrder: Self.p384HalfOrder, expectedHighS: 88)
    }

    private func check(_ fileName: String, algorithm: JWSAlgorithm, expectedTests: Int, halfOrder: [UInt8], expectedHighS: Int) throws {
        let outcome = try WycheproofRunner.run(fileName, algorithm: algorithm, acceptable: { _ in nil })

        #expect(outcome.totalTests == expectedTests)
        #expect(outcome.declaredTests == outcome.totalTests, "numberOfTests disagrees with the tests in the file")
        #expect(outcome.checked.count == outcome.totalTests, "every test's signature must be checked")
        #expect(outcome.refusedGroups.isEmpty, "keys refused at import: \(outcome.refusedGroups.map { "\($0.code): \($0.reason), tcIds \($0.tests.map(\.tcId))" })")
        #expect(outcome.disagreements.isEmpty, "\(outcome.disagreements.count) disagreements:\n\(outcome.disagreements.joined(separator: "\n"))")

        // The no-low-S choice is exercised: some valid, high-S signatures were accepted.
        let coordinateSize = halfOrder.count
        let acceptedHighS = outcome.checked.filter { checked in
            guard checked.test.result == .valid, checked.accepted,
                  let signature = VectorEncoding.hex(checked.test.sig), signature.count == 2 * coordinateSize else { return false }
            return signature[coordinateSize...].lexicographicallyPrecedes(halfOrder) == false
                && Array(signature[coordinateSize...]) != halfOrder
        }
        #expect(acceptedHighS.count == expectedHighS, "valid high-S signatures accepted")
    }
}
