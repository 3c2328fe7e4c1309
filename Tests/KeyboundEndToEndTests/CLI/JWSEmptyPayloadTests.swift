import Foundation
import Testing
import Keybound

/// RFC 7515 allows an empty payload: a correctly signed JWS whose payload segment is empty is a
/// valid JWS at the signature level (`JWSVerifier`, `keybound jws verify`). It is no token, though:
/// token verification refuses it with `malformed_claims`.
@Suite("JWS: empty payload")
struct JWSEmptyPayloadTests {
    static let issuer = "https://login.keybound.test/consumers"

    /// `header..signature`, signed over `header.` with `key`.
    static func emptyPayloadJWS(_ key: SigningKey, type: String = "JWT") throws -> String {
        let header = JSONObject(["alg": .string(key.algorithm.rawValue), "kid": .string(key.keyID), "typ": .string(type)])
        return try TokenSigner(key: key).sign(header: header, payload: [])
    }

    static func code(_ result: Result<JWSVerifier.VerifiedJWS, TokenRejection>) -> RejectionCode? {
        if case .failure(let rejection) = result { return rejection.code }
        return nil
    }

    @Test("JWSVerifier accepts a correctly signed empty payload and returns zero bytes", arguments: [JWSAlgorithm.es256, .rs256, .edDSA])
    func signatureLevel(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm: algorithm, issuer: Self.issuer)
        let jws = try Self.emptyPayloadJWS(key)
        #expect(jws.split(separator: ".", omittingEmptySubsequences: false).count == 3)
        #expect(jws.split(separator: ".", omittingEmptySubsequences: false)[1].isEmpty)
        let verified = try JWSVerifier(key: key.publicJWK).verify(jws).get()
        #expect(verified.payload.isEmpty)
        #expect(verified.keyID == key.keyID)
        // The signature still covers the (empty) payload: one added payload byte breaks it.
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        let tampered = "\(parts[0]).AA.\(parts[2])"
        #expect(Self.code(JWSVerifier(key: key.publicJWK).verify(tampered)) == .badSignature)
        // An empty header is still malformed.
        #expect(Self.code(JWSVerifier(key: key.publicJWK).verify(".." + parts[2])) == .malformedToken)
    }

    @Test("token verification refuses an empty payload with malformed_claims")
    func tokenLevel() throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        var issuer = TrustedIssuer(identifier: Self.issuer, tenancy: .noTenant)
        try issuer.add(TrustedKey(key.publicJWK))
        var trust = TrustStore()
        try trust.add(issuer)
        let verifier = TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail", tokenType: .jwt))
        #expect(verifier.verify(try Self.emptyPayloadJWS(key)).rejection?.code == .malformedClaims)
    }

    @Test("keybound jws verify says valid for an empty payload; keybound token verify refuses it with malformed_claims")
    func commandLine() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generated = try await CLIRunner.generateKey(alg: "ES256", issuer: Self.issuer, in: directory)
        let key = try SigningKey(privateJWK: Array(try Data(contentsOf: URL(fileURLWithPath: generated.privateKey))))
        let jws = try Self.emptyPayloadJWS(key, type: "at+jwt")

        let valid = try await CLIRunner.run(["jws", "verify", "--jwk", generated.jwks, jws])
        #expect(valid.status == 0, "\(valid.stdout) \(valid.stderr)")
        #expect(valid.json?["valid"] as? Bool == true)
        #expect(valid.json?["kid"] as? String == generated.kid)
        #expect(valid.json?["payload_bytes"] as? Int == 0)

        let refused = try await CLIRunner.run(["token", "verify", "--trust", "\(Self.issuer)=\(generated.jwks)", "--audience", "api://mail", jws])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.json?["error"] as? String == "malformed_claims")
    }
}
