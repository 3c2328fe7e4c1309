import Foundation
import Keybound

/// The fuzzing harness: a fixed trust store and verifier, built once.
///
/// Every input is fed, as a token, through the full `TokenVerifier` (with trusted ES256 and
/// Ed25519 issuers), the signature-level `JWSVerifier`, the strict JSON reader and JWK import,
/// and `TokenInspection`. A crash, a hang or a sanitizer report is a bug; any verdict is fine,
/// but a *verified* result for fuzzed input would mean a forgery and traps.
enum FuzzHarness {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let consumerKey = try! SigningKey.generate(algorithm: .es256, issuer: "https://login.fuzz.test/consumers", keyID: "consumer-1")
    static let tenantKey = try! SigningKey.generate(algorithm: .edDSA, issuer: "https://login.fuzz.test/contoso", keyID: "contoso-1")

    static let verifier: TokenVerifier = {
        var trust = TrustStore()
        try! trust.add(TrustedIssuer(identifier: consumerKey.issuer, keySet: JWKSet(keys: [consumerKey.publicJWK])))
        try! trust.add(TrustedIssuer(identifier: tenantKey.issuer, tenantID: "contoso", keySet: JWKSet(keys: [tenantKey.publicJWK])))
        let policy = try! VerificationPolicy(audience: "api://mail")
        return TokenVerifier(trust: trust, policy: policy, clock: .fixed(now))
    }()

    static let jwsVerifier = JWSVerifier(key: consumerKey.publicJWK)

    static func run(_ input: UnsafeRawBufferPointer) {
        if case .verified = verifier.verify(bytes: input) {
            fatalError("fuzzed input verified as a token: forgery")
        }
        if case .success = jwsVerifier.verify(bytes: input) {
            fatalError("fuzzed input verified as a JWS: forgery")
        }
        if let object = try? StrictJSONParser.parseObject(input) {
            _ = JSONWriter().bytes(.object(object))
            _ = try? JWK(jsonObject: object)
            _ = try? JWKSet(jsonObject: object)
        }
        _ = TokenInspection(token: String(decoding: input, as: UTF8.self), now: now)
    }
}

