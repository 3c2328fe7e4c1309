import Foundation
import Keybound
import KeyboundPKCS11
import KeyboundTesting
import Testing

/// Keys generated and used inside a SoftHSM2 token: every algorithm signs there, the tokens
/// verify with Keybound and with PyJWT, and the private halves cannot be read out.
@Suite("PKCS#11 custody: signing inside SoftHSM2")
struct PKCS11CustodyTests {
    static let audience = "https://mail.example"

    /// Claims for `issuer`, valid for ten minutes from now.
    static func claims(issuer: String, tokenID: String = UUID().uuidString) -> JSONObject {
        let now = Date().timeIntervalSince1970.rounded(.down)
        return JSONObject(["iss": .string(issuer), "sub": .string("alice"), "aud": .string(audience),
                           "iat": .number(now), "exp": .number(now + 600), "jti": .string(tokenID), "client_id": .string("pkcs11-tests")])
    }

    /// Keybound's verifier, trusting `issuer` with exactly `keys`.
    static func verifier(issuer: String, keys: [JWK]) throws -> TokenVerifier {
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: issuer, tenancy: .noTenant, keySet: JWKSet(keys: keys)))
        return TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: audience))
    }

    static func uniqueIssuer(_ name: String) -> String { "https://\(name)-\(UUID().uuidString.prefix(8)).example" }

    @Test("each algorithm signs inside the token, and Keybound verifies the token against the public key the token reports",
          arguments: JWSAlgorithm.allCases)
    func eachAlgorithmSigns(algorithm: JWSAlgorithm) async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let issuer = Self.uniqueIssuer("alg")
        let key = try await token.generateKey(algorithm: algorithm, issuer: issuer)
        #expect(key.algorithm == algorithm && key.issuer == issuer)
        #expect(key.publicJWK.keyID == key.keyID && key.publicJWK.algorithm == algorithm)
        let signer = TokenSigner(key: key, custodian: PKCS11Custodian(token: token))
        let signed = try await signer.signedByCustodian(claims: Self.claims(issuer: issuer))
        let result = try Self.verifier(issuer: issuer, keys: [key.publicJWK]).verify(signed.token)
        #expect(result.rejection == nil, "\(algorithm.rawValue): \(String(describing: result.rejection))")
        // The synchronous path is for software keys only: it refuses rather than block.
        #expect(throws: SigningError.self) { try signer.sign(claims: Self.claims(issuer: issuer)) }
    }

    @Test("tokens signed inside the token verify with PyJWT, an outside library")
    func pyJWTVerifies() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let issuer = Self.uniqueIssuer("pyjwt")
        var cases: [[String: String]] = []
        for algorithm in JWSAlgorithm.allCases {
            let key = try await token.generateKey(algorithm: algorithm, issuer: issuer)
            let signed = try await TokenSigner(key: key, custodian: PKCS11Custodian(token: token))
                .signedByCustodian(claims: Self.claims(issuer: issuer))
            cases.append(["alg": algorithm.rawValue, "token": signed.token,
                          "jwk": String(decoding: JSONWriter().bytes(.object(key.publicJWK.publicJSON)), as: UTF8.self)])
        }
        let script = """
        import json, sys, jwt
        for case in json.load(sys.stdin):
            key = jwt.PyJWK(json.loads(case["jwk"])).key
            claims = jwt.decode(case["token"], key=key, algorithms=[case["alg"]], audience="\(Self.audience)")
            print(case["alg"], claims["iss"])
        """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self)
        let outcome = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script], stdin: input)
        #expect(outcome.status == 0, "PyJWT refused: \(outcome.stderr)")
        let verified = outcome.stdout.split(separator: "\n").map { String($0.split(separator: " ").first ?? "") }
        #expect(verified == JWSAlgorithm.allCases.map(\.rawValue))
    }

    @Test("the token refuses to reveal a private key (CKR_ATTRIBUTE_SENSITIVE), and each key is sensitive, never extractable and good for signing only",
          arguments: [JWSAlgorithm.es256, .edDSA, .rs256])
    func privateValueIsNotExtractable(algorithm: JWSAlgorithm) async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let issuer = Self.uniqueIssuer("export")
        let key = try await token.generateKey(algorithm: algorithm, issuer: issuer)
        let answer = try await token.privateValueReadResult(issuer: issuer, keyID: key.keyID, algorithm: algorithm)
        #expect(answer == "CKR_ATTRIBUTE_SENSITIVE")
        // Each flag on its own, as the token reports it: sensitive and never extractable from the
        // start, and good for signing only (an RSA key that could decrypt would be a raw RSA oracle).
        let flags = try await token.privateKeyFlags(issuer: issuer, keyID: key.keyID)
        for name in ["CKA_TOKEN", "CKA_PRIVATE", "CKA_SENSITIVE", "CKA_ALWAYS_SENSITIVE", "CKA_NEVER_EXTRACTABLE", "CKA_SIGN"] {
            #expect(flags[name] == true, "\(name): \(String(describing: flags[name]))")
        }
        for name in ["CKA_EXTRACTABLE", "CKA_DECRYPT", "CKA_UNWRAP", "CKA_SIGN_RECOVER", "CKA_DERIVE"] {
            #expect(flags[name] == false, "\(name): \(String(describing: flags[name]))")
        }
    }

    @Test("a second connection finds the same key by (issuer, kid) and signs with it, as another node would")
    func anotherNodeFindsTheKey() async throws {
        let first = try await SoftHSMToken.open()
        let second = try await SoftHSMToken.open(sessions: 1)
        defer { Task { await first.close(); await second.close() } }
        let issuer = Self.uniqueIssuer("node")
        let generated = try await first.generateKey(algorithm: .es256, issuer: issuer)
        let found = try await second.key(issuer: issuer, keyID: generated.keyID, algorithm: .es256)
        #expect(found == generated)
        #expect(found.publicJWK.publicJSON == generated.publicJWK.publicJSON)
        let signed = try await TokenSigner(key: found, custodian: PKCS11Custodian(token: second)).signedByCustodian(claims: Self.claims(issuer: issuer))
        #expect(try Self.verifier(issuer: issuer, keys: [generated.publicJWK]).verify(signed.token).rejection == nil)
    }

    @Test("one kid under two issuers names two different keys: a handle signs only with its own issuer's key")
    func keysAreScopedByIssuer() async throws {
        let token = try await SoftHSMToken.open()
        defer { Task { await token.close() } }
        let (msa, aad) = (Self.uniqueIssuer("msa"), Self.uniqueIssuer("aad"))
        let msaKey = try await token.generateKey(algorithm: .es256, issuer: msa, keyID: "shared-kid")
        let aadKey = try await token.generateKey(algorithm: .es256, issuer: aad, keyID: "shared-kid")
        #expect(msaKey.publicJWK.publicJSON != aadKey.publicJWK.publicJSON)
        let signed = try await TokenSigner(key: aadKey, custodian: PKCS11Custodian(token: token)).signedByCustodian(claims: Self.claims(issuer: aad))
        #expect(try Self.verifier(issuer: aad, keys: [aadKey.publicJWK]).verify(signed.token).rejection == nil)
        // The consumer key, published for the enterprise issuer under the same kid, does not verify it.
        let relabelled = try JWK(jsonObject: {
            var object = msaKey.publicJWK.publicJSON
            object["issuer"] = .string(aad)
            return object
        }())
        #expect(try Self.verifier(issuer: aad, keys: [relabelled]).verify(signed.token).rejection?.code == .badSignature)
        // And the signer still refuses claims of another issuer than its key's.
        await #expect(throws: SigningError.self) {
            try await TokenSigner(key: msaKey, custodian: PKCS11Custodian(token: token)).signedByCustodian(claims: Self.claims(issuer: aad))
        }
    }

    @Test("a destroyed private key signs no more, on this connection or another that had used it")
    func destroyedKeySignsNoMore() async throws {
        let first = try await SoftHSMToken.open()
        let second = try await SoftHSMToken.open(sessions: 1)
        defer { Task { await first.close(); await second.close() } }
        let issuer = Self.uniqueIssuer("destroy")
        let key = try await first.generateKey(algorithm: .edDSA, issuer: issuer)
        _ = try await second.sign(Array("warm".utf8), with: key)
        #expect(try await first.destroyPrivateKey(issuer: issuer, keyID: key.keyID))
        #expect(try await !first.destroyPrivateKey(issuer: issuer, keyID: key.keyID))
        for token in [first, second] {
            let error = await #expect(throws: PKCS11Error.self) { try await token.sign(Array("after".utf8), with: key) }
            #expect(error?.code == .keyNotFound)
        }
        let custodianError = await #expect(throws: SigningError.self) {
            try await PKCS11Custodian(token: second).signature(for: [1, 2, 3], with: key)
        }
        // A 503 for the server, never a 500: the token cannot sign with that key.
        #expect(custodianError?.isUnavailable == true)
        #expect(custodianError?.description.contains("no private key") == true)
    }

    @Test("many concurrent signatures share a small session pool, and each verifies")
    func concurrentSignaturesShareSessions() async throws {
        let token = try await SoftHSMToken.open(sessions: 2)
        defer { Task { await token.close() } }
        let issuer = Self.uniqueIssuer("pool")
        let key = try await token.generateKey(algorithm: .es256, issuer: issuer)
        let signer = TokenSigner(key: key, custodian: PKCS11Custodian(token: token))
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 { group.addTask { try await signer.signedByCustodian(claims: Self.claims(issuer: issuer)).token } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let verifier = try Self.verifier(issuer: issuer, keys: [key.publicJWK])
        #expect(tokens.count == 40)
        #expect(tokens.allSatisfy { verifier.verify($0).rejection == nil })
        #expect(Set(tokens).count == 40)
    }
}
