import Foundation
import Testing

/// `keybound keys generate` and `keybound token sign`: files, permissions, and the issuer binding.
@Suite("CLI: keys generate and token sign")
struct CLIKeysAndSigningTests {
    static let issuer = "https://login.keybound.test/consumers"

    @Test("keys generate writes a 0600 private JWK and a public JWKS bound to the issuer", arguments: ["ES256", "ES384", "EdDSA", "RS256", "PS256"])
    func generate(alg: String) async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try await CLIRunner.run(["keys", "generate", "--alg", alg, "--issuer", Self.issuer, "--out", directory.path])
        #expect(outcome.status == 0)
        #expect(!outcome.stdout.contains("\"d\""), "private key material printed")
        let json = try #require(outcome.json)
        let privatePath = try #require(json["private_jwk"] as? String)
        let attributes = try FileManager.default.attributesOfItem(atPath: privatePath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let jwks = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json["jwks"] as! String))) as? [String: Any])
        let keys = try #require(jwks["keys"] as? [[String: Any]])
        #expect(keys.count == 1)
        #expect(keys[0]["issuer"] as? String == Self.issuer)
        #expect(keys[0]["alg"] as? String == alg)
        #expect(keys[0]["d"] == nil && keys[0]["p"] == nil, "private member in the public JWKS")
        #expect(keys[0]["kid"] as? String == json["kid"] as? String)
    }

    @Test("a key file is never overwritten and one JWKS never mixes issuers")
    func noOverwriteNoMixing() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await CLIRunner.generateKey(alg: "ES256", issuer: Self.issuer, in: directory)
        let again = try await CLIRunner.run(["keys", "generate", "--alg", "ES256", "--issuer", Self.issuer, "--out", directory.path, "--kid", "fixed"])
        #expect(again.status == 0)
        let duplicate = try await CLIRunner.run(["keys", "generate", "--alg", "ES256", "--issuer", Self.issuer, "--out", directory.path, "--kid", "fixed"])
        #expect(duplicate.status == 2)
        let otherIssuer = try await CLIRunner.run(["keys", "generate", "--alg", "ES256", "--issuer", "https://other.test", "--out", directory.path])
        #expect(otherIssuer.status == 2)
        #expect(otherIssuer.stderr.contains("mixes issuers"))
    }

    @Test("token sign signs exactly the given claims with typ at+jwt by default")
    func signExactClaims() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await CLIRunner.generateKey(alg: "EdDSA", issuer: Self.issuer, in: directory)
        let claimsPath = directory.appendingPathComponent("claims.json").path
        let claimsText = #"{"iss":"https://login.keybound.test/consumers","sub":"alice","custom":{"nested":[1,2.5,"x"]}}"#
        try Data(claimsText.utf8).write(to: URL(fileURLWithPath: claimsPath))
        let outcome = try await CLIRunner.run(["token", "sign", "--key", key.privateKey, "--claims", claimsPath])
        #expect(outcome.status == 0)
        let token = outcome.stdout.trimmingCharacters(in: .newlines)
        #expect(outcome.stdout.hasSuffix("\n"))
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        #expect(Self.decode(parts[1]) == claimsText)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(Self.decode(parts[0]).utf8)) as? [String: String])
        #expect(header == ["alg": "EdDSA", "kid": key.kid, "typ": "at+jwt"])
    }

    @Test("token sign refuses claims whose iss is not the key's issuer (exit 2)")
    func signRefusesOtherIssuer() async throws {
        let directory = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await CLIRunner.generateKey(alg: "ES256", issuer: Self.issuer, in: directory)
        let claims = try CLIRunner.writeClaims(["iss": "https://login.keybound.test/contoso", "sub": "mallory"], in: directory)
        let outcome = try await CLIRunner.run(["token", "sign", "--key", key.privateKey, "--claims", claims])
        #expect(outcome.status == 2)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("will not sign"))
    }

    @Test("bad flags and unreadable files exit 2 with one line on stderr")
    func badInput() async throws {
        let unknownFlag = try await CLIRunner.run(["token", "verify", "--bogus"])
        #expect(unknownFlag.status == 2)
        #expect(unknownFlag.stderr.split(separator: "\n").count == 1)
        let missingFile = try await CLIRunner.run(["token", "sign", "--key", "/nonexistent/key.json", "--claims", "/nonexistent/c.json"])
        #expect(missingFile.status == 2)
        #expect(missingFile.stderr.contains("/nonexistent/key.json"))
        let badAlg = try await CLIRunner.run(["keys", "generate", "--alg", "HS256", "--issuer", "x", "--out", "/tmp"])
        #expect(badAlg.status == 2)
    }

    static func decode(_ segment: Substring) -> String {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
    }
}
