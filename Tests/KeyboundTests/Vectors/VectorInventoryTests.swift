import Testing

/// Proves the vector run is complete: the shared vectors folder exists (a missing folder fails,
/// it is never skipped), and every file in it is claimed by a suite, so a file added later without
/// a test, or a file that disappeared, fails here.
@Suite("Vector inventory")
struct VectorInventoryTests {
    /// Each Wycheproof file and the suite that runs it exhaustively.
    static let wycheproofFiles: [String: String] = [
        "ecdsa_secp256r1_sha256_p1363_test.json": "WycheproofECDSATests.es256",
        "ecdsa_secp384r1_sha384_p1363_test.json": "WycheproofECDSATests.es384",
        "ecdsa_secp256r1_sha256_test.json": "WycheproofDERCorpusTests",
        "ed25519_test.json": "WycheproofEdDSATests",
        "rsa_signature_2048_sha256_test.json": "WycheproofRSATests.rs256",
        "rsa_pss_2048_sha256_mgf1_32_test.json": "WycheproofRSATests.ps256",
    ]

    @Test("the vectors folder exists and holds what the suites expect")
    func topLevel() throws {
        let directory = try VectorFiles.directory()
        #expect(try VectorFiles.fileNames(in: ".") == ["README.md", "jose-cookbook", "rfc7515_appendix_A.json", "wycheproof"],
                "unexpected contents of \(directory.path)")
    }

    @Test("every Wycheproof file is run by a suite")
    func wycheproof() throws {
        let names = Set(try VectorFiles.fileNames(in: "wycheproof"))
        let claimed = Set(Self.wycheproofFiles.keys).union(["LICENSE"])
        #expect(names == claimed, "unclaimed: \(names.subtracting(claimed).sorted()), missing: \(claimed.subtracting(names).sorted())")
    }
}
