import Testing
import Keybound

/// Proves that RS256 and PS256 signature checks agree with every Wycheproof RSA vector for
/// 2048-bit keys with SHA-256: padding, DigestInfo and PSS forgeries are rejected, genuine
/// signatures verify, and no signature verifies under another algorithm except two
/// `WrongPrimitive` tests (257, PSS file 108), genuine signatures of the other RSA primitive.
///
/// Key policy: Keybound refuses e ≠ 65537 at import (`weak_key`). The PKCS #1 file has two groups
/// with e = 3 keys, each holding one `valid` test (tcIds 258, 259); the test asserts exactly those
/// keys are refused, so those two signatures are never checked.
///
/// `acceptable`: the PKCS #1 file has one (tcId 8, `MissingNull`: a DigestInfo without the NULL
/// parameters). Keybound REJECTS it: RFC 8017 §8.2.2 compares the whole encoded message with the
/// one re-encoded with NULL parameters, and RFC 7518 §3.3 uses RSASSA-PKCS1-v1_5 as defined there.
/// Any other `acceptable` flag has no documented choice and fails the test.
@Suite("Wycheproof RSA (RS256, PS256)")
struct WycheproofRSATests {
    @Test("RS256: rsa_signature_2048_sha256_test.json")
    func rs256() throws {
        let outcome = try WycheproofRunner.run("rsa_signature_2048_sha256_test.json", algorithm: .rs256) { flags in
            flags.contains(.missingNull) ? false : nil
        }

        #expect(outcome.totalTests == 259)
        #expect(outcome.declaredTests == outcome.totalTests, "numberOfTests disagrees with the tests in the file")
        #expect(outcome.disagreements.isEmpty, "\(outcome.disagreements.count) disagreements:\n\(outcome.disagreements.joined(separator: "\n"))")

        // e = 3 keys: refused at import as weak, and only those.
        #expect(outcome.refusedGroups.count == 2)
        for group in outcome.refusedGroups {
            #expect(group.code == .weakKey, "e = 3 key refused with \(group.code): \(group.reason)")
            #expect(group.tests.allSatisfy { $0.flags.contains(.smallPublicKey) }, "refused a key that is not flagged SmallPublicKey")
        }
        let refused = outcome.refusedTests
        #expect(refused.map(\.tcId).sorted() == [258, 259])
        #expect(refused.allSatisfy { $0.result == .valid })

        // Everything else was checked, including the one `acceptable` vector.
        #expect(outcome.checked.count == 257)
        #expect(outcome.checked.count + refused.count == outcome.totalTests)
        let acceptable = outcome.checked.filter { $0.test.result == .acceptable }
        #expect(acceptable.map(\.test.tcId) == [8])
        #expect(acceptable.allSatisfy { !$0.accepted }, "MissingNull signature was accepted")
        #expect(outcome.checked.filter { $0.test.result == .valid && $0.accepted }.count == 7)
        expectWrongPrimitive(outcome, tcIds: [255, 256, 257], genuine: [257], under: .ps256)
    }

    @Test("PS256: rsa_pss_2048_sha256_mgf1_32_test.json")
    func ps256() throws {
        let outcome = try WycheproofRunner.run("rsa_pss_2048_sha256_mgf1_32_test.json", algorithm: .ps256, acceptable: { _ in nil })

        #expect(outcome.totalTests == 108)
        #expect(outcome.declaredTests == outcome.totalTests, "numberOfTests disagrees with the tests in the file")
        #expect(outcome.refusedGroups.isEmpty, "keys refused at import: \(outcome.refusedGroups.map { "\($0.code): \($0.reason)" })")
        #expect(outcome.checked.count == 108)
        #expect(outcome.disagreements.isEmpty, "\(outcome.disagreements.count) disagreements:\n\(outcome.disagreements.joined(separator: "\n"))")
        #expect(outcome.checked.filter { $0.test.result == .valid && $0.accepted }.count == 63)
        expectWrongPrimitive(outcome, tcIds: [108], genuine: [108], under: .rs256)
    }

    /// `WrongPrimitive` tests are signatures made with the other RSA primitive under the same key:
    /// all rejected under the file's algorithm; those whose hash, MGF and salt happen to match
    /// Keybound's other algorithm (`genuine`) verify under it, and nothing else verifies anywhere.
    /// At the JWS layer each imported key is bound to one `alg` (the runner checks it is the file's),
    /// so a header cannot switch primitives.
    private func expectWrongPrimitive(_ outcome: WycheproofRunner.Outcome, tcIds: [Int], genuine: [Int], under other: JWSAlgorithm) {
        let wrongPrimitive = outcome.checked.filter { $0.test.flags.contains(.wrongPrimitive) }
        #expect(wrongPrimitive.map(\.test.tcId) == tcIds)
        for checked in wrongPrimitive {
            #expect(!checked.accepted, "tcId \(checked.test.tcId) accepted under the file's algorithm")
            let expected: [JWSAlgorithm] = genuine.contains(checked.test.tcId) ? [other] : []
            #expect(checked.acceptedUnder == expected, "tcId \(checked.test.tcId) accepted under \(checked.acceptedUnder)")
        }
        #expect(outcome.checked.filter { !$0.acceptedUnder.isEmpty }.map(\.test.tcId) == genuine)
    }
}
