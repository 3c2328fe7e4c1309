import Foundation
import Testing
@testable import Keybound

/// Inputs the fuzzer once crashed on (kept in `Fuzz/regressions/`) go through the same calls as
/// the fuzz harness and must come back with a verdict, not a trap.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")
    }

    @Test("every saved crash input is handled without a trap")
    func replay() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(!files.isEmpty, "no regression inputs found at \(Self.directory.path)")
        let key = try SigningKey.generate(algorithm: .edDSA, issuer: "https://login.fuzz.test/contoso", keyID: "contoso-1")
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: key.issuer, tenancy: .tenant("contoso"), keySet: JWKSet(keys: [key.publicJWK])))
        let verifier = TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail"),
                                     clock: .fixed(Date(timeIntervalSince1970: 1_800_000_000)))
        for file in files {
            let bytes = try Data(contentsOf: Self.directory.appendingPathComponent(file))
            let text = String(decoding: bytes, as: UTF8.self)
            let inspection = TokenInspection(token: text, now: Date(timeIntervalSince1970: 1_800_000_000))
            #expect(!inspection.checks.isEmpty, "\(file): no inspection output")
            #expect(verifier.verify(text).rejection != nil, "\(file): a fuzzed input verified")
        }
    }

    @Test("huge NumericDates and clocks produce messages, not traps")
    func hugeNumbers() throws {
        let header = Base64URL.encode(Array(#"{"alg":"EdDSA","kid":"k","typ":"at+jwt"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"iss":"i","exp":1e300,"iat":-1e300,"nbf":1e300}"#.utf8))
        let inspection = TokenInspection(token: "\(header).\(payload).AAAA", now: Date(timeIntervalSince1970: 1e300))
        #expect(inspection.checks.contains { $0.contains("exp:") })
        #expect(SecondsText.of(1e300) == "1e+300")
        #expect(SecondsText.of(.nan) == "nan")
        #expect(SecondsText.of(-42.9) == "-42")
    }
}
