import Foundation
@testable import Keybound
import Testing

/// How a token's bytes are put together: written once, the same through both signing paths.
@Suite("Core: token assembly")
struct TokenSignerAssemblyTests {
    static let issuer = "https://login.example/tenant-a"

    static func claims() -> JSONObject {
        let now = Int(Date().timeIntervalSince1970)
        return JSONObject(["iss": .string(issuer), "sub": .string("alice"), "aud": .string("api://mail"),
                           "exp": .number(Double(now + 600)), "iat": .number(Double(now)), "jti": .string(UUID().uuidString),
                           "name": .string("Ålice \"Q\" ☃")])
    }

    @Test("the synchronous path and the custodian's write the same header and payload, whose signature verifies, for every algorithm and for another typ",
          arguments: [JWSAlgorithm.es256, .es384, .edDSA, .rs256, .ps256])
    func bothPaths(algorithm: JWSAlgorithm) async throws {
        let key = try SigningKey.generate(algorithm: algorithm, issuer: Self.issuer)
        let claims = Self.claims()
        for type in [ExpectedTokenType.accessToken.rawValue, "JWT"] {
            let direct = try TokenSigner(key: key).signed(claims: claims, type: type)
            let custodied = try await TokenSigner(key: key.handle, custodian: SoftwareCustodian(keys: [key]))
                .signedByCustodian(claims: claims, type: type)
            #expect(direct.payload == JSONWriter().bytes(.object(claims)) && custodied.payload == direct.payload)
            for signed in [direct, custodied] {
                let parts = signed.token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                try #require(parts.count == 3)
                #expect(Base64URL.decode(parts[1]) == direct.payload)
                let header = try StrictJSONParser.parseObject(try #require(Base64URL.decode(parts[0])))
                #expect(header["typ"] == .string(type) && header["kid"] == .string(key.keyID) && header["alg"] == .string(algorithm.rawValue))
                let signature = try #require(Base64URL.decode(parts[2]))
                #expect(signature.count == key.publicJWK.publicKey.signatureLength)
                #expect(key.publicJWK.publicKey.isValidSignature(signature, for: Array("\(parts[0]).\(parts[1])".utf8), algorithm: algorithm))
            }
            let prefix = { (token: String) in token[..<token.lastIndex(of: ".")!] }
            #expect(prefix(direct.token) == prefix(custodied.token))
        }
    }

    /// A custodian whose signatures have the wrong length, as a faulty token or module might give.
    struct TruncatingCustodian: SigningCustodian {
        let key: SigningKey
        func signature(for signingInput: [UInt8], with handle: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
            Array(try key.signature(for: signingInput).dropLast())
        }
    }

    @Test("a signature of another length than the key's is refused with a SigningError, never written into a token")
    func wrongLengthSignature() async throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: Self.issuer)
        let signer = TokenSigner(key: key.handle, custodian: TruncatingCustodian(key: key))
        await #expect(throws: SigningError.self) { try await signer.signedByCustodian(claims: Self.claims()) }
    }

    @Test("base64url encoding into a buffer writes exactly the encoded length, for every remainder")
    func encodeIntoBuffer() {
        for count in 0...7 {
            let input = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            var output = [UInt8](repeating: 0xAA, count: 16)
            let written = input.withUnsafeBytes { source in output.withUnsafeMutableBytes { Base64URL.encode(source, into: $0) } }
            #expect(written == Base64URL.encodedLength(of: count))
            #expect(Array(output[..<written]) == Base64URL.encodedBytes(input))
            #expect(output[written...].allSatisfy { $0 == 0xAA })
        }
    }
}
