import Foundation
import Testing
@testable import Keybound

/// Proves Keybound's import verdict on every RFC 7520 (JOSE cookbook) JWK example: the P-521 keys
/// (3.1 public, 3.2 private) are refused as `unsupported_key_type`, the `oct` keys (3.5, 3.6) as
/// `symmetric_key`, and the RSA keys (3.3 public, 3.4 private) import to the same public key, with
/// the private members of 3.4 flagged and never kept. With an `issuer` added, 3.4 imports as a
/// signing key that reproduces the cookbook's deterministic RS256 signature (4.1) bit for bit.
@Suite("JOSE cookbook: JWK (RFC 7520 §3)")
struct JOSECookbookJWKTests {
    enum Expected: Sendable {
        case refused(KeyImportError.Code)
        case parses(containsPrivateMembers: Bool)
    }

    /// Every file of `jose-cookbook/jwk/`, with Keybound's expected verdict.
    static let expectations: [String: Expected] = [
        "3_1.ec_public_key.json": .refused(.unsupportedKeyType),
        "3_2.ec_private_key.json": .refused(.unsupportedKeyType),
        "3_3.rsa_public_key.json": .parses(containsPrivateMembers: false),
        "3_4.rsa_private_key.json": .parses(containsPrivateMembers: true),
        "3_5.symmetric_key_mac_computation.json": .refused(.symmetricKey),
        "3_6.symmetric_key_encryption.json": .refused(.symmetricKey),
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try VectorFiles.data("jose-cookbook/jwk/\(name)"))
    }

    @Test("every file in jwk/ has an expectation")
    func inventory() throws {
        let names = try VectorFiles.fileNames(in: "jose-cookbook/jwk")
        #expect(Set(names) == Set(Self.expectations.keys), "unexpected: \(Set(names).subtracting(Self.expectations.keys)), missing: \(Set(Self.expectations.keys).subtracting(names))")
    }

    @Test("each JWK example imports or is refused as expected", arguments: expectations.keys.sorted())
    func importVerdict(name: String) throws {
        let expected = try #require(Self.expectations[name])
        let json = try Self.bytes(name)
        switch expected {
        case .refused(let code):
            do {
                let key = try JWK(json: json)
                Issue.record("\(name) was imported as a \(key.keyType.rawValue) key")
            } catch {
                #expect(error.code == code, "\(name): \(error)")
            }
        case .parses(let containsPrivateMembers):
            let key = try JWK(json: json)
            #expect(key.keyType == .rsa)
            #expect(key.keyID == "bilbo.baggins@hobbiton.example")
            #expect(key.use == "sig")
            #expect(key.verificationRestriction == nil)
            #expect(key.algorithm == .rs256 && !key.algorithmIsDeclared)
            #expect(key.containedPrivateKeyMembers == containsPrivateMembers)
            #expect(Set(key.publicJSON.names).isDisjoint(with: ["d", "p", "q", "dp", "dq", "qi"]))
        }
    }

    @Test("3.3 and 3.4 describe the same public key")
    func rsaPublicAndPrivateMatch() throws {
        let publicKey = try JWK(json: try Self.bytes("3_3.rsa_public_key.json"))
        let fromPrivate = try JWK(json: try Self.bytes("3_4.rsa_private_key.json"))
        #expect(publicKey.thumbprint == fromPrivate.thumbprint)
        #expect(publicKey.publicJSON == fromPrivate.publicJSON)
    }

    @Test("3.4 imports as a signing key once it names an issuer, and reproduces the 4.1 signature")
    func rsaPrivateKeyImport() throws {
        var object = try StrictJSONParser.parseObject(try Self.bytes("3_4.rsa_private_key.json"))
        do {
            _ = try SigningKey(privateJWKObject: object)
            Issue.record("a private JWK without 'issuer' was imported as a signing key")
        } catch {
            #expect(error.code == .issuerBinding, "\(error)")
        }

        object["issuer"] = .string("https://hobbiton.example")
        let signingKey = try SigningKey(privateJWKObject: object)
        #expect(signingKey.algorithm == .rs256)
        #expect(signingKey.keyID == "bilbo.baggins@hobbiton.example")
        let publicKey = try JWK(json: try Self.bytes("3_3.rsa_public_key.json"))
        #expect(signingKey.publicJWK.thumbprint == publicKey.thumbprint)

        // RSASSA-PKCS1-v1_5 is deterministic: the imported key must produce the cookbook's signature.
        let example = try VectorFiles.jsonObject("jose-cookbook/jws/4_1.rsa_v15_signature.json")
        let signing = try #require(example["signing"] as? [String: Any])
        let signingInput = try #require(signing["sig-input"] as? String)
        let expected = try #require(signing["sig"] as? String)
        let signature = try signingKey.signature(for: Array(signingInput.utf8))
        #expect(VectorEncoding.base64URL(signature) == expected)
    }

    @Test("a JWK Set refuses the private (3.4) and symmetric (3.5) examples whole")
    func setsRefusePrivateAndSymmetricKeys() throws {
        for (name, code) in [("3_4.rsa_private_key.json", KeyImportError.Code.privateKeyMaterial),
                             ("3_5.symmetric_key_mac_computation.json", .symmetricKey)] {
            let set = "{\"keys\":[" + String(decoding: try Self.bytes("3_3.rsa_public_key.json"), as: UTF8.self)
                .replacingOccurrences(of: "bilbo.baggins@hobbiton.example", with: "public") + ","
                + String(decoding: try Self.bytes(name), as: UTF8.self) + "]}"
            do {
                _ = try JWKSet(json: Array(set.utf8))
                Issue.record("a set holding \(name) was imported")
            } catch {
                #expect(error.code == code, "\(name): \(error)")
            }
        }
    }
}
