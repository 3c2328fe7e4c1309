import Foundation
import Testing
import Keybound

/// Proves Keybound's verdict on every RFC 7515 Appendix A example: A.2 (RS256) and A.3 (ES256)
/// verify with `JWSVerifier(key:)` (the tokens carry no `kid`) and stop verifying when a signature
/// bit flips; A.1 (HS256), A.4 (ES512) and A.5 (`none`) are refused with `unsupported_algorithm`
/// whatever key the verifier holds, and the A.1 and A.4 keys are themselves refused at import.
@Suite("RFC 7515 Appendix A")
struct RFC7515AppendixATests {
    struct Example: Decodable {
        let id: String
        let jws: String
        let jwk: [String: String]?
    }

    struct File: Decodable {
        let tests: [Example]
    }

    /// Keybound's expected outcome per example, by the id prefix.
    enum Expected {
        case verifies(JWSAlgorithm)
        case refused(RejectionCode, keyImport: KeyImportError.Code?)
    }

    static let expectations: [String: Expected] = [
        "A.1": .refused(.unsupportedAlgorithm, keyImport: .symmetricKey),
        "A.2": .verifies(.rs256),
        "A.3": .verifies(.es256),
        "A.4": .refused(.unsupportedAlgorithm, keyImport: .unsupportedKeyType),
        "A.5": .refused(.unsupportedAlgorithm, keyImport: nil),
    ]

    static func examples() throws -> [String: Example] {
        let file = try JSONDecoder().decode(File.self, from: VectorFiles.data("rfc7515_appendix_A.json"))
        var byID: [String: Example] = [:]
        for example in file.tests {
            let prefix = String(example.id.prefix(while: { $0 != " " }))
            #expect(byID[prefix] == nil, "\(prefix) appears twice")
            byID[prefix] = example
        }
        return byID
    }

    static func jwk(_ members: [String: String]) throws(KeyImportError) -> JWK {
        var object = JSONObject()
        for (name, value) in members.sorted(by: { $0.key < $1.key }) { object[name] = .string(value) }
        return try JWK(jsonObject: object)
    }

    @Test("the file holds exactly A.1–A.5")
    func inventory() throws {
        #expect(Set(try Self.examples().keys) == Set(Self.expectations.keys))
    }

    @Test("A.2 (RS256) and A.3 (ES256) verify; a flipped signature bit does not", arguments: ["A.2", "A.3"])
    func validExamples(id: String) throws {
        let example = try #require(try Self.examples()[id])
        guard case .verifies(let algorithm)? = Self.expectations[id] else {
            Issue.record("\(id) is not expected to verify")
            return
        }
        let key = try Self.jwk(try #require(example.jwk))
        #expect(key.keyID == nil)
        let verifier = JWSVerifier(key: key)

        switch verifier.verify(example.jws) {
        case .success(let verified):
            #expect(verified.algorithm == algorithm)
            #expect(verified.keyID == nil)
            let payloadSegment = example.jws.split(separator: ".", omittingEmptySubsequences: false)[1]
            #expect(verified.payload == VectorEncoding.fromBase64URL(String(payloadSegment)))
            #expect(String(decoding: verified.payload, as: UTF8.self).contains("\"iss\":\"joe\""))
        case .failure(let rejection):
            Issue.record("\(example.id) rejected: \(rejection)")
        }

        let parts = example.jws.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var signature = try #require(VectorEncoding.fromBase64URL(parts[2]))
        signature[signature.count / 2] ^= 0x01
        let tampered = parts[0] + "." + parts[1] + "." + VectorEncoding.base64URL(signature)
        #expect(verifier.verify(tampered).vectorRejectionCode == .badSignature)
    }

    @Test("A.1 (HS256), A.4 (ES512), A.5 (none) are refused", arguments: ["A.1", "A.4", "A.5"])
    func refusedExamples(id: String) throws {
        let examples = try Self.examples()
        let example = try #require(examples[id])
        guard case .refused(let code, let keyImport)? = Self.expectations[id] else {
            Issue.record("\(id) is not expected to be refused")
            return
        }

        // The example's own key, where it has one, is refused at import.
        if let members = example.jwk {
            do {
                _ = try Self.jwk(members)
                Issue.record("\(id): its \(members["kty"] ?? "?") key was accepted at import")
            } catch {
                #expect(error.code == keyImport, "\(id): key refused with \(error)")
            }
        } else {
            #expect(keyImport == nil)
        }

        // Whatever usable key the verifier holds, the token is refused before any key is used.
        for keyID in ["A.2", "A.3"] {
            let key = try Self.jwk(try #require(examples[keyID]?.jwk))
            #expect(JWSVerifier(key: key).verify(example.jws).vectorRejectionCode == code, "\(id) with the \(keyID) key")
        }
    }
}
