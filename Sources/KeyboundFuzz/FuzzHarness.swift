import Foundation
import Keybound

/// The fuzzing harness: fixed test keys, a trust store and verifiers, built once.
///
/// Every input is fed, as a token, through the full `TokenVerifier` (trusted ES256 and Ed25519
/// issuers), the signature-level `JWSVerifier`, the strict JSON reader and writer, JWK and JWKS
/// import, and `TokenInspection`. Crashes, hangs and sanitizer reports are bugs; so are broken
/// properties, which trap:
/// - whatever the strict reader accepts, the writer writes back to an equal value;
/// - a token that verifies verifies again to the same claims, and its claims round-trip;
/// - the validating scanner the verifier uses for claims accepts exactly what the parser accepts.
///
/// The keys are fixed *test* keys (never used anywhere else) so that seed tokens in
/// `Fuzz/seeds/` are validly signed and the fuzzer reaches the claim checks.
enum FuzzHarness {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let consumerKey = try! SigningKey(privateJWK: Array(#"{"crv":"P-256","kty":"EC","x":"BWGcfDdlO71VT6BSb97KzKX3iiYX4yQ1EJ8vzywW1jE","y":"K60CPdqPXjmi8XQR21E1Jqe_xUKUcGHjA3ftsUSsaeg","kid":"consumer-1","alg":"ES256","use":"sig","issuer":"https://login.fuzz.test/consumers","d":"u6tB5GGoPb9mMlE_WPBjKRUKWbk-1GBQnU_3UDy1K7w"}"#.utf8))
    static let tenantKey = try! SigningKey(privateJWK: Array(#"{"crv":"Ed25519","kty":"OKP","x":"uLU8NOohazi-hk_COAz6vQPOyAMQOiubwDPU8pk7sco","kid":"contoso-1","alg":"EdDSA","use":"sig","issuer":"https://login.fuzz.test/contoso","d":"rHUCPL-ljx621UX32WD5IcP02EgX95NdfM07_rU6tzY"}"#.utf8))

    static let verifier: TokenVerifier = {
        var trust = TrustStore()
        try! trust.add(TrustedIssuer(identifier: consumerKey.issuer, tenancy: .consumer("consumers"), keySet: JWKSet(keys: [consumerKey.publicJWK])))
        try! trust.add(TrustedIssuer(identifier: tenantKey.issuer, tenancy: .tenant("contoso"), keySet: JWKSet(keys: [tenantKey.publicJWK])))
        let policy = try! VerificationPolicy(audience: "api://mail")
        return TokenVerifier(trust: trust, policy: policy, clock: .fixed(now))
    }()

    static let jwsVerifier = JWSVerifier(key: consumerKey.publicJWK)

    static func run(_ input: UnsafeRawBufferPointer) {
        if case .verified(let token) = verifier.verify(bytes: input) {
            guard case .verified(let again) = verifier.verify(bytes: input), again.claims == token.claims else {
                fatalError("verification is not deterministic")
            }
            checkRoundTrip(.object(token.claims))
        }
        _ = jwsVerifier.verify(bytes: input)
        let parsed = try? StrictJSONParser.parse(input)
        let parsedObject: Bool = if case .object? = parsed { true } else { false }
        let scanned: Bool = if case .success = ScannedObject.scan(input) { true } else { false }
        if parsedObject != scanned {
            fatalError("the claims scanner and the parser disagree")
        }
        if let value = parsed {
            checkRoundTrip(value)
            if case .object(let object) = value {
                _ = try? JWK(jsonObject: object)
                _ = try? JWKSet(jsonObject: object)
            }
        }
        _ = TokenInspection(token: String(decoding: input, as: UTF8.self), now: now)
    }

    static func checkRoundTrip(_ value: JSONValue) {
        let written = JSONWriter().bytes(value)
        guard let reread = try? StrictJSONParser.parse(written), reread == value else {
            fatalError("JSON round trip changed the value")
        }
    }
}
