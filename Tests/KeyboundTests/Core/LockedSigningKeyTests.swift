import Foundation
@testable import Keybound
import Testing

/// Software custody as `keybound serve` holds a key: its private members decoded straight into
/// locked memory, the swift-crypto key rebuilt for each signature on a secret worker thread.
@Suite("Core: software keys in locked memory")
struct LockedSigningKeyTests {
    static let issuer = "https://login.example/tenant-a"

    @Test("every algorithm signs through the locked key, on a worker and on the caller's thread, and the tokens verify against the key's public half",
          arguments: [JWSAlgorithm.es256, .es384, .edDSA, .rs256, .ps256])
    func signsEveryAlgorithm(algorithm: JWSAlgorithm) async throws {
        let key = try SigningKey.generate(algorithm: algorithm, issuer: Self.issuer)
        let locked = try LockedSigningKey.copying(key)
        #expect(locked.handle == key.handle)
        let signer = TokenSigner(key: locked.handle, custodian: locked)
        let now = Int(Date().timeIntervalSince1970)
        let token = try await signer.signedByCustodian(claims: JSONObject(["iss": .string(Self.issuer), "sub": .string("alice"),
                                                                             "aud": .string("api://mail"), "exp": .number(Double(now + 600)),
                                                                             "iat": .number(Double(now)), "jti": .string(UUID().uuidString), "client_id": .string("app")])).token
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: Self.issuer, tenancy: .noTenant, keySet: JWKSet(keys: [key.publicJWK])))
        let verified = TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail")).verify(token)
        #expect(verified.rejection == nil, "\(String(describing: verified.rejection))")

        let input = Array("header.payload".utf8)
        let signature = try locked.signatureNow(for: input)
        #expect(key.publicJWK.publicKey.isValidSignature(signature, for: input, algorithm: algorithm))
    }

    @Test("a sealed JWK whose private members belong to another key is refused (invalid_key), and the locked key signs for no other handle")
    func refusesAnotherKeysHandle() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let other = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let json = JSONWriter().bytes(.object(key.exportPrivateJWK()))
        #expect(throws: KeyImportError.self) {
            _ = try json.withUnsafeBytes { try LockedSigningKey(privateJWK: $0, handle: other.handle) }
        }
        let locked = try LockedSigningKey.copying(key)
        await #expect(throws: SigningError.self) { _ = try await locked.signature(for: [1, 2, 3], with: other.handle) }
        let sameKeyOtherIssuer = try SigningKeyHandle(publicKey: key.publicJWK.publicKey, keyID: key.keyID, algorithm: .es256,
                                                      issuer: "https://login.example/tenant-b")
        await #expect(throws: SigningError.self) { _ = try await locked.signature(for: [1, 2, 3], with: sameKeyOtherIssuer) }
    }

    @Test("the scanner reads a member only where one starts: a look-alike inside another member's escaped string is not it")
    func scannerFindsOnlyRealMembers() throws {
        let json = Array(#"{"issuer":"x\",\"d\":\"AAAA","d":"QUJD","kid":"k"}"#.utf8)
        try json.withUnsafeBytes { bytes in
            let range = try #require(PrivateJWKScanner.stringValue(of: "d", in: bytes))
            #expect(Array(json[range]) == Array("QUJD".utf8))
            #expect(PrivateJWKScanner.stringValue(of: "p", in: bytes) == nil)
        }
    }

    @Test("base64url decoding into a buffer: the value, and nil for a character outside the alphabet, an impossible length or too small a buffer")
    func decodesBase64URL() {
        func decode(_ text: String, capacity: Int = 16) -> [UInt8]? {
            var output = [UInt8](repeating: 0, count: capacity)
            let written = Array(text.utf8).withUnsafeBytes { source in
                output.withUnsafeMutableBytes { SecretBase64.decode(source, alphabet: .url, into: $0) }
            }
            return written.map { Array(output[..<$0]) }
        }
        #expect(decode("QUJD") == Array("ABC".utf8))
        #expect(decode("_-8") == [0xFF, 0xEF])
        #expect(decode("QUJD+") == nil)
        #expect(decode("QUJD=") == nil)
        #expect(decode("QUJDR") == nil)
        #expect(decode("QUJDRA", capacity: 3) == nil)
    }

    @Test("secret work runs on threads whose whole stacks are marked do-not-dump (dd) in /proc/self/smaps")
    func workersRunOnStacksLeftOutOfDumps() async throws {
        let address = await SecretWorkers.shared.run { () -> UInt in
            var local = 0
            return withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) }
        }
        #expect(SecretWorkers.shared.threadsWithStacksOutOfDumps > 0)
        #expect(try MemoryMappingFlags.of(address).contains("dd"), "the worker's stack")
        var local = 0
        let callerStack = withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) }
        #expect(try !MemoryMappingFlags.of(callerStack).contains("dd"), "the caller's own stack stays dumpable")
    }
}
