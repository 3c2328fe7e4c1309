import Testing
import Keybound

/// Proves that EdDSA (Ed25519) signature checks agree with every Wycheproof Ed25519 vector:
/// `valid` verifies, `invalid` (including S ≥ L malleability, truncated and trailing-garbage
/// signatures) does not, and no signature verifies under another algorithm.
///
/// Key policy: a group whose key is small-order or non-canonical must be refused at import
/// (`weak_key` / `invalid_key`); every other key must import. This file (dac1dd4) has no such key,
/// which the test confirms by an independent check rather than by trusting the library.
/// `acceptable`: the file labels none; one appearing later fails here until a choice is documented.
@Suite("Wycheproof EdDSA (Ed25519)")
struct WycheproofEdDSATests {
    @Test("EdDSA: ed25519_test.json")
    func ed25519() throws {
        let fileName = "ed25519_test.json"
        let outcome = try WycheproofRunner.run(fileName, algorithm: .edDSA, acceptable: { _ in nil })

        #expect(outcome.totalTests == 151)
        #expect(outcome.declaredTests == outcome.totalTests, "numberOfTests disagrees with the tests in the file")
        #expect(outcome.disagreements.isEmpty, "\(outcome.disagreements.count) disagreements:\n\(outcome.disagreements.joined(separator: "\n"))")

        // Keys that must be refused, decided here independently of the library.
        let file = try WycheproofFile.load(fileName)
        var mustRefuse: [Int] = []
        for group in file.testGroups {
            let key = try #require(group.publicKey?.pk.flatMap(VectorEncoding.hex), "group of \(group.tests.map(\.tcId)) has no raw key")
            if Self.isSmallOrderOrNonCanonical(key) { mustRefuse += group.tests.map(\.tcId) }
        }
        let refused = outcome.refusedTests.map(\.tcId)
        #expect(refused.sorted() == mustRefuse.sorted(), "refused at import: \(refused), expected: \(mustRefuse)")
        for group in outcome.refusedGroups {
            #expect(group.code == .weakKey || group.code == .invalidKey, "refused with \(group.code): \(group.reason)")
        }
        #expect(mustRefuse.isEmpty, "this pinned file has no small-order or non-canonical key; if it now does, update this count")
        #expect(outcome.checked.count + outcome.refusedTests.count == outcome.totalTests)
        #expect(outcome.checked.count == 151)
    }

    /// The small-order encodings are refused at import whatever their sign bit, so the branch the
    /// file does not reach is still tested.
    @Test("small-order Ed25519 keys are refused at import")
    func smallOrderKeysRefused() {
        for encoding in Self.smallOrderEncodings {
            for signBit in [UInt8(0), 0x80] {
                var key = encoding
                key[31] |= signBit
                var object = JSONObject()
                object["kty"] = .string("OKP")
                object["crv"] = .string("Ed25519")
                object["x"] = .string(VectorEncoding.base64URL(key))
                do {
                    _ = try JWK(jsonObject: object)
                    Issue.record("small-order key \(VectorEncoding.base64URL(key)) was accepted at import")
                } catch {
                    #expect(error.code == .weakKey || error.code == .invalidKey, "\(error)")
                }
            }
        }
    }

    /// The eight-torsion encodings (sign bit clear), plus y = p and y = p + 1: libsodium's blocklist.
    static let smallOrderEncodings: [[UInt8]] = [
        VectorEncoding.hex("0000000000000000000000000000000000000000000000000000000000000000")!,
        VectorEncoding.hex("0100000000000000000000000000000000000000000000000000000000000000")!,
        VectorEncoding.hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")!,
        VectorEncoding.hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")!,
        VectorEncoding.hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")!,
        VectorEncoding.hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")!,
        VectorEncoding.hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")!,
    ]

    /// Whether a 32-byte key is one of the small-order encodings or has y ≥ p = 2^255 − 19.
    static func isSmallOrderOrNonCanonical(_ key: [UInt8]) -> Bool {
        guard key.count == 32 else { return true }
        var masked = key
        masked[31] &= 0x7F
        if smallOrderEncodings.contains(masked) { return true }
        // y ≥ p exactly when y is p … 2^255 − 1: top byte 0x7F, bytes 30…1 all 0xFF, low byte ≥ 0xED.
        return masked[31] == 0x7F && masked[1...30].allSatisfy { $0 == 0xFF } && masked[0] >= 0xED
    }
}
