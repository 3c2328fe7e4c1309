import Foundation
import Testing

/// `keybound token verify`, `keybound jws verify` and `keybound token inspect` on tokens made by `keybound token sign`.
@Suite("CLI: verify and inspect")
struct CLIVerifyTests {
    static let consumer = "https://login.keybound.test/consumers"
    static let enterprise = "https://login.keybound.test/contoso"
    static let now = 1_800_000_000

    /// Keys for two issuers and a signed access token of the consumer issuer.
    struct Setup {
        let directory: URL
        let consumerKey: (privateKey: String, jwks: String, kid: String)
        let enterpriseKey: (privateKey: String, jwks: String, kid: String)
        let token: String

        init(alg: String = "ES256", claims extra: [String: Any] = [:]) async throws {
            directory = try CLIRunner.temporaryDirectory()
            consumerKey = try await CLIRunner.generateKey(alg: alg, issuer: CLIVerifyTests.consumer, in: directory.appendingPathComponent("consumer"))
            enterpriseKey = try await CLIRunner.generateKey(alg: alg, issuer: CLIVerifyTests.enterprise, in: directory.appendingPathComponent("enterprise"))
            var claims: [String: Any] = [
                "iss": CLIVerifyTests.consumer, "sub": "alice", "aud": "api://mail", "exp": CLIVerifyTests.now + 600,
                "iat": CLIVerifyTests.now, "jti": UUID().uuidString, "client_id": "mail-app",
            ]
            claims.merge(extra) { $1 }
            let claimsPath = try CLIRunner.writeClaims(claims, in: directory)
            let signed = try await CLIRunner.run(["token", "sign", "--key", consumerKey.privateKey, "--claims", claimsPath])
            try #require(signed.status == 0, "\(signed.stderr)")
            token = signed.stdout.trimmingCharacters(in: .newlines)
        }

        func verify(_ token: String? = nil, extra: [String] = [], stdin: String? = nil) async throws -> CLIRunner.Outcome {
            try await CLIRunner.run(["token", "verify", "--trust", "\(CLIVerifyTests.consumer)=\(consumerKey.jwks)",
                               "--trust", "\(CLIVerifyTests.enterprise)=\(enterpriseKey.jwks)",
                               "--audience", "api://mail", "--now", "\(CLIVerifyTests.now + 10)"] + extra + [token ?? self.token], stdin: stdin)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test("a signed token verifies with its issuer's JWKS", arguments: ["ES256", "EdDSA", "RS256", "PS256", "ES384"])
    func verifies(alg: String) async throws {
        let setup = try await Setup(alg: alg)
        defer { setup.cleanUp() }
        let outcome = try await setup.verify()
        #expect(outcome.status == 0, "\(outcome.stdout)")
        let json = try #require(outcome.json)
        #expect(json["valid"] as? Bool == true)
        #expect(json["issuer"] as? String == Self.consumer)
        #expect(json["kid"] as? String == setup.consumerKey.kid)
        #expect((json["claims"] as? [String: Any])?["sub"] as? String == "alice")
    }

    @Test("rejections print the code and exit 1")
    func rejections() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        let wrongAudience = try await CLIRunner.run(["token", "verify", "--trust", "\(Self.consumer)=\(setup.consumerKey.jwks)",
                                              "--audience", "api://calendar", "--now", "\(Self.now)", setup.token])
        #expect(wrongAudience.status == 1)
        #expect(wrongAudience.json?["error"] as? String == "audience_mismatch")
        let expired = try await setup.verify(extra: ["--now", "\(Self.now + 3600)"])
        #expect(expired.status == 1)
        #expect(expired.json?["error"] as? String == "token_expired")
        let asJWT = try await setup.verify(extra: ["--type", "JWT"])
        #expect(asJWT.json?["error"] as? String == "wrong_type")
        let shortLifetime = try await setup.verify(extra: ["--max-lifetime", "300"])
        #expect(shortLifetime.json?["error"] as? String == "lifetime_too_long")
        let malformed = try await setup.verify("not-a-token")
        #expect(malformed.status == 1)
        #expect(malformed.json?["valid"] as? Bool == false)
        #expect(malformed.json?["error"] as? String == "malformed_token")
        let untrusted = try await CLIRunner.run(["token", "verify", "--trust", "\(Self.enterprise)=\(setup.enterpriseKey.jwks)",
                                          "--audience", "api://mail", "--now", "\(Self.now)", setup.token])
        #expect(untrusted.json?["error"] as? String == "untrusted_issuer")
    }

    @Test("the token argument - reads standard input and drops one trailing newline")
    func stdinToken() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        #expect(try await setup.verify("-", stdin: setup.token + "\n").status == 0)
        #expect(try await setup.verify("-", stdin: setup.token + "\n\n").json?["error"] as? String == "malformed_token")
        let jws = try await CLIRunner.run(["jws", "verify", "--jwk", setup.consumerKey.jwks, "-"], stdin: setup.token + "\n")
        #expect(jws.status == 0)
    }

    @Test("Storm-0558: a consumer key signing an enterprise token is issuer_key_mismatch")
    func crossIssuerForgery() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        // The attacker holds the consumer private key and edits its issuer binding to sign enterprise tokens.
        var stolen = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.consumerKey.privateKey))) as? [String: Any])
        stolen["issuer"] = Self.enterprise
        let stolenPath = setup.directory.appendingPathComponent("stolen.jwk.json")
        try JSONSerialization.data(withJSONObject: stolen).write(to: stolenPath)
        let claims = try CLIRunner.writeClaims([
            "iss": Self.enterprise, "sub": "ceo@contoso", "aud": "api://mail", "exp": Self.now + 600, "iat": Self.now,
            "jti": "forged", "client_id": "owa",
        ], in: setup.directory, name: "forged.json")
        let forged = try await CLIRunner.run(["token", "sign", "--key", stolenPath.path, "--claims", claims])
        try #require(forged.status == 0)
        let verdict = try await setup.verify(forged.stdout.trimmingCharacters(in: .newlines))
        #expect(verdict.status == 1)
        #expect(verdict.json?["error"] as? String == "issuer_key_mismatch")
        #expect(verdict.json?["key_issuer"] as? String == Self.consumer)
    }

    @Test("--trust refuses a JWKS whose keys are bound to another issuer; --jwks binds each key to its own issuer")
    func trustBinding() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        let refused = try await CLIRunner.run(["token", "verify", "--trust", "\(Self.enterprise)=\(setup.consumerKey.jwks)",
                                        "--audience", "api://mail", setup.token])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("issuer"))
        // A common JWKS holding both issuers' keys, each with its own `issuer` member.
        let consumerSet = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.consumerKey.jwks))) as! [String: Any]
        let enterpriseSet = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.enterpriseKey.jwks))) as! [String: Any]
        let common = ["keys": (consumerSet["keys"] as! [Any]) + (enterpriseSet["keys"] as! [Any])]
        let commonPath = setup.directory.appendingPathComponent("common.json")
        try JSONSerialization.data(withJSONObject: common).write(to: commonPath)
        let viaCommon = try await CLIRunner.run(["token", "verify", "--jwks", commonPath.path, "--audience", "api://mail",
                                          "--now", "\(Self.now)", setup.token])
        #expect(viaCommon.status == 0, "\(viaCommon.stdout)")
    }

    @Test("jws verify: single JWK (kid optional, must match) and JWKS (kid required)")
    func jwsVerify() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        let set = try await CLIRunner.run(["jws", "verify", "--jwk", setup.consumerKey.jwks, setup.token])
        #expect(set.status == 0)
        #expect(set.json?["valid"] as? Bool == true)
        #expect(set.json?["alg"] as? String == "ES256")
        #expect(set.json?["kid"] as? String == setup.consumerKey.kid)
        let wrongSet = try await CLIRunner.run(["jws", "verify", "--jwk", setup.enterpriseKey.jwks, setup.token])
        #expect(wrongSet.status == 1)
        #expect(wrongSet.json?["error"] as? String == "unknown_key")
        // A single public JWK extracted from the set, with its kid removed: still verifies.
        let consumerSet = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.consumerKey.jwks))) as! [String: Any]
        var single = (consumerSet["keys"] as! [[String: Any]])[0]
        single["kid"] = nil
        let singlePath = setup.directory.appendingPathComponent("single.json")
        try JSONSerialization.data(withJSONObject: single).write(to: singlePath)
        #expect(try await CLIRunner.run(["jws", "verify", "--jwk", singlePath.path, setup.token]).status == 0)
        single["kid"] = "some-other-kid"
        try JSONSerialization.data(withJSONObject: single).write(to: singlePath)
        let mismatch = try await CLIRunner.run(["jws", "verify", "--jwk", singlePath.path, setup.token])
        #expect(mismatch.json?["error"] as? String == "unknown_key")
        let tampered = setup.token.dropLast(4) + "AAAA"
        #expect(try await CLIRunner.run(["jws", "verify", "--jwk", setup.consumerKey.jwks, String(tampered)]).json?["error"] as? String == "bad_signature")
    }

    @Test("token inspect decodes without trusting and exits 1 on structural problems")
    func inspect() async throws {
        let setup = try await Setup()
        defer { setup.cleanUp() }
        let outcome = try await CLIRunner.run(["token", "inspect", "--now", "\(Self.now)", setup.token])
        #expect(outcome.status == 0)
        let json = try #require(outcome.json)
        #expect(json["verified"] as? Bool == false)
        #expect((json["header"] as? [String: Any])?["kid"] as? String == setup.consumerKey.kid)
        #expect((json["claims"] as? [String: Any])?["sub"] as? String == "alice")
        #expect(((json["checks"] as? [String]) ?? []).contains { $0.contains("expires in 600 s") })
        let broken = try await CLIRunner.run(["token", "inspect", "a.b.c.d.e"])
        #expect(broken.status == 1)
        #expect(broken.json?["error"] as? String == "malformed_token")
    }
}
