import Foundation
import Testing
import Keybound

/// Rows 6, 22 and 23 under Unicode: RFC 7519 §2 compares StringOrURI values "as case-sensitive
/// strings with no transformations or canonicalizations applied", so `aud`, `iss` and `kid` must
/// match code point for code point. Swift's `String ==` (and `Dictionary` lookup) use canonical
/// equivalence instead: U+212A KELVIN SIGN equals "K", U+037E GREEK QUESTION MARK equals ";",
/// "e" + U+0301 equals "é". Keybound compares these identifiers by their exact UTF-8 bytes
/// (`ExactString`), and these tests prove that canonically equivalent spellings are refused.
@Suite("Unicode canonical equivalence in aud / iss / kid")
struct UnicodeEquivalenceTests {
    static let issuer = "https://Keybound.test"
    static let audience = "api://Keybound;caf\u{00E9}"
    static let key = AttackKeys.make(.es256, issuer, "Key-1")

    static func verifier() throws -> TokenVerifier {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: issuer, tenancy: .noTenant, keySet: JWKSet(keys: [key.publicJWK])))
        let policy = try VerificationPolicy(audience: audience, clockSkew: 0)
        return TokenVerifier(trust: trust, policy: policy, clock: .fixed(AttackFixture.now))
    }

    static func token(iss: String = issuer, aud: String = audience, kid: String = "Key-1") throws -> String {
        let claims = AttackFixture.claims([("iss", AttackFixture.quoted(iss)), ("aud", AttackFixture.quoted(aud))])
        return try AttackFixture.sign(header: AttackFixture.header(key, kid: kid), payload: claims, with: key)
    }

    @Test("Baseline: the byte-identical token verifies")
    func baseline() throws {
        let result = try Self.verifier().verify(try Self.token())
        #expect(result.token != nil, "\(String(describing: result.rejection))")
    }

    @Test("aud canonically equivalent but not identical → audience_mismatch",
          arguments: ["api://\u{212A}eybound;caf\u{00E9}", "api://Keybound\u{037E}caf\u{00E9}", "api://Keybound;cafe\u{0301}"])
    func audience(aud: String) throws {
        #expect(!aud.unicodeScalars.elementsEqual(Self.audience.unicodeScalars))
        let result = try Self.verifier().verify(try Self.token(aud: aud))
        #expect(result.rejection?.code == .audienceMismatch, "got \(result.rejection.map(String.init(describing:)) ?? "acceptance")")
    }

    @Test("iss canonically equivalent but not identical, signed by the trusted key → issuer_key_mismatch")
    func issuerVariant() throws {
        let iss = "https://\u{212A}eybound.test"
        #expect(!iss.unicodeScalars.elementsEqual(Self.issuer.unicodeScalars))
        let result = try Self.verifier().verify(try Self.token(iss: iss))
        #expect(result.rejection?.code == .issuerKeyMismatch, "got \(result.rejection.map(String.init(describing:)) ?? "acceptance")")
    }

    @Test("kid canonically equivalent but not identical → unknown_key")
    func keyIDVariant() throws {
        let kid = "\u{212A}ey-1"
        let result = try Self.verifier().verify(try Self.token(kid: kid))
        #expect(result.rejection?.code == .unknownKey, "got \(result.rejection.map(String.init(describing:)) ?? "acceptance")")
    }
}
