import Foundation
import Testing
import Keybound

/// Attack catalog row 1: `alg:none` in any casing, with the signature empty or kept, and `alg`
/// missing, null, empty or not a string. Keybound has no unsecured mode: `unsupported_algorithm`.
@Suite("Row 1: alg none and variants")
struct Row01AlgNoneTests {
    static let noneSpellings = ["none", "None", "NONE", "nOnE"]

    @Test("alg none in any casing, signature empty", arguments: Row01AlgNoneTests.noneSpellings)
    func noneWithEmptySignature(spelling: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, alg: spelling)
        let token = AttackEncoding.b64(header) + "." + AttackEncoding.b64(AttackFixture.claims()) + "."
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("alg none in any casing, legitimate signature kept", arguments: Row01AlgNoneTests.noneSpellings)
    func noneWithKeptSignature(spelling: String) throws {
        let fixture = try AttackFixture()
        let legit = try AttackFixture.legitToken()
        let payload = AttackEncoding.segments(legit)[1]
        let header = AttackFixture.header(AttackKeys.es256, alg: spelling)
        let token = AttackEncoding.b64(header) + "." + payload + "." + AttackEncoding.segments(legit)[2]
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("alg none re-signed by the trusted key is still refused", arguments: Row01AlgNoneTests.noneSpellings)
    func noneSignedByTrustedKey(spelling: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, alg: spelling)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("alg missing, null, empty, or not a string",
          arguments: [
            #"{"kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":null,"kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":"","kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":256,"kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":true,"kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":["ES256"],"kid":"attack-es256","typ":"at+jwt"}"#,
            #"{"alg":{"name":"ES256"},"kid":"attack-es256","typ":"at+jwt"}"#,
          ])
    func algMissingOrMistyped(header: String) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test("alg is case-sensitive: a lower-case real algorithm is unknown", arguments: ["es256", "Es256", "ES256 ", " ES256"])
    func algCaseSensitive(spelling: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, alg: spelling)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }
}
