import Foundation
import Testing
import Keybound

/// Proves Keybound's verdict on every JWS example of the JOSE cookbook (RFC 7520 §4, RFC 8037's
/// Ed25519 example, RFC 7797): RS256 (4.1) and Ed25519 verify with `JWSVerifier(key:)`; PS384,
/// ES512 and HS256 are refused with `unsupported_algorithm`; JSON serializations and detached or
/// header-less forms with `malformed_token`; `b64`/`crit` headers with `forbidden_header` (the
/// header is judged before the payload is decoded, so an unencoded RFC 7797 payload does not mask it).
///
/// Besides each file's own `output` forms, signatures are recomposed as compact tokens from the
/// `signing` block (or the payload re-attached / base64url-encoded), so the algorithm and header
/// policy is exercised even where the cookbook's own form is already refused for its structure.
@Suite("JOSE cookbook: JWS (RFC 7520 §4, RFC 8037, RFC 7797)")
struct JOSECookbookJWSTests {
    /// A way to turn a cookbook file into one token string.
    enum Form: Hashable, Sendable, CustomStringConvertible {
        /// `output.compact` exactly.
        case compact
        /// `output.json` (general JSON serialization), as JSON text.
        case json
        /// `output.json_flat` (flattened JSON serialization), as JSON text.
        case jsonFlat
        /// `output.compact` with its payload segment replaced by base64url(`input.payload`):
        /// re-attaches detached content (4.5), encodes an RFC 7797 unencoded payload.
        case compactWithEncodedPayload
        /// `protected_b64u` of the i-th `signing` entry (empty if it has none), base64url(`input.payload`), `sig`.
        case recomposed(Int)

        var description: String {
            switch self {
            case .compact: "compact"
            case .json: "json"
            case .jsonFlat: "json_flat"
            case .compactWithEncodedPayload: "compact with base64url payload"
            case .recomposed(let index): "recomposed from signing[\(index)]"
            }
        }
    }

    enum Outcome: Sendable {
        case verifies
        case rejected(RejectionCode)
    }

    typealias Expectations = [(Form, Outcome)]

    static let nonCompact: Expectations = [(.json, .rejected(.malformedToken)), (.jsonFlat, .rejected(.malformedToken))]

    /// Every JSON file of `jws/`, `curve25519/` and `rfc7797/`, with Keybound's expected verdicts.
    static let expectations: [String: Expectations] = [
        "jws/4_1.rsa_v15_signature.json": [(.compact, .verifies)] + nonCompact,
        "jws/4_2.rsa-pss_signature.json": [(.compact, .rejected(.unsupportedAlgorithm))] + nonCompact,
        "jws/4_3.ecdsa_signature.json": [(.compact, .rejected(.unsupportedAlgorithm))] + nonCompact,
        "jws/4_4.hmac-sha2_integrity_protection.json": [(.compact, .rejected(.unsupportedAlgorithm))] + nonCompact,
        // Detached content: the compact form has an empty payload segment, a valid JWS (RFC 7515)
        // whose header is judged first: HS256 is refused.
        "jws/4_5.signature_with_detached_content.json": [
            (.compact, .rejected(.unsupportedAlgorithm)),
            (.compactWithEncodedPayload, .rejected(.unsupportedAlgorithm)),
        ] + nonCompact,
        // `kid` only in the unprotected header: there is no compact form.
        "jws/4_6.protecting_specific_header_fields.json": [(.recomposed(0), .rejected(.unsupportedAlgorithm))] + nonCompact,
        // No protected header at all: recomposed, the header segment is empty.
        "jws/4_7.protecting_content_only.json": [(.recomposed(0), .rejected(.malformedToken))] + nonCompact,
        // Multiple signatures exist only as general JSON. Of its three signatures, the RS256 one
        // (protected {"alg":"RS256"}) is genuine and verifies on its own as a compact token: the
        // refusal of 4.8 is about its serialization. ES512 has no protected header; HS256 is refused.
        "jws/4_8.multiple_signatures.json": [
            (.json, .rejected(.malformedToken)),
            (.recomposed(0), .verifies),
            (.recomposed(1), .rejected(.malformedToken)),
            (.recomposed(2), .rejected(.unsupportedAlgorithm)),
        ],
        "curve25519/jws.json": [(.compact, .verifies)] + nonCompact,
        // RFC 7797: use only `output` (the `signing` block of this file is inconsistent). Its compact
        // form carries the payload unencoded ("This is the payload string!"), which is not base64url;
        // the header is judged first (docs/verification.md step 4), so its `b64`/`crit` give
        // `forbidden_header`, and so they do with the payload base64url-encoded.
        "rfc7797/hmac-sha2_b64_false.json": [
            (.compact, .rejected(.forbiddenHeader)),
            (.compactWithEncodedPayload, .rejected(.forbiddenHeader)),
        ] + nonCompact,
        // JSON only; its protected header is {"alg":"HS256","b64":false}.
        "rfc7797/4.2.hmac-sha2_b64_false.json": [(.recomposed(0), .rejected(.forbiddenHeader))] + nonCompact,
    ]

    /// Files in these folders that are documentation, not vectors.
    static let documentation: Set<String> = ["curve25519/README.md", "rfc7797/README.md"]

    @Test("every file in the cookbook folders has an expectation")
    func inventory() throws {
        #expect(try VectorFiles.fileNames(in: "jose-cookbook") == ["LICENSE", "README.md", "curve25519", "jwk", "jws", "rfc7797"])
        var seen: Set<String> = []
        for folder in ["jws", "curve25519", "rfc7797"] {
            for name in try VectorFiles.fileNames(in: "jose-cookbook/\(folder)") {
                let path = "\(folder)/\(name)"
                seen.insert(path)
                #expect(Self.expectations[path] != nil || Self.documentation.contains(path), "no expectation for jose-cookbook/\(path)")
            }
        }
        let missing = Set(Self.expectations.keys).union(Self.documentation).subtracting(seen)
        #expect(missing.isEmpty, "expected files not found: \(missing.sorted())")
    }

    @Test("each JWS example is verified or refused as expected", arguments: expectations.keys.sorted())
    func verdict(path: String) throws {
        let file = try VectorFiles.jsonObject("jose-cookbook/\(path)")
        let input = try #require(file["input"] as? [String: Any])
        let payload = Array(try #require(input["payload"] as? String).utf8)
        let fallbackKey = try JWK(json: Array(try VectorFiles.data("jose-cookbook/jwk/3_3.rsa_public_key.json")))

        for (form, outcome) in try #require(Self.expectations[path]) {
            let token = try Self.token(form, in: file, payload: payload)
            let fileKey = try Self.fileKey(in: input, for: form)
            let result = JWSVerifier(key: fileKey ?? fallbackKey).verify(token)
            switch (outcome, result) {
            case (.verifies, .success(let verified)):
                #expect(fileKey != nil, "\(path) \(form): verified with a key that is not the example's own")
                #expect(verified.payload == payload, "\(path) \(form): payload differs")
                var tampered = Array(token.utf8)
                tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                #expect(JWSVerifier(key: fileKey ?? fallbackKey).verify(String(decoding: tampered, as: UTF8.self)).vectorRejectionCode == .badSignature,
                        "\(path) \(form): a changed signature still verifies")
            case (.verifies, .failure(let rejection)):
                Issue.record("\(path) \(form): expected to verify, rejected with \(rejection)")
            case (.rejected(let code), .success):
                Issue.record("\(path) \(form): expected \(code), but it verified")
            case (.rejected(let code), .failure(let rejection)):
                #expect(rejection.code == code, "\(path) \(form): expected \(code), got \(rejection)")
            }
        }
    }

    /// The token for `form`; fails the test if the file does not have what the form needs.
    static func token(_ form: Form, in file: [String: Any], payload: [UInt8]) throws -> String {
        let output = try #require(file["output"] as? [String: Any])
        switch form {
        case .compact:
            return try #require(output["compact"] as? String, "no output.compact")
        case .json:
            return try VectorEncoding.jsonText(try #require(output["json"], "no output.json"))
        case .jsonFlat:
            return try VectorEncoding.jsonText(try #require(output["json_flat"], "no output.json_flat"))
        case .compactWithEncodedPayload:
            var parts = try #require(output["compact"] as? String, "no output.compact").components(separatedBy: ".")
            try #require(parts.count == 3)
            parts[1] = VectorEncoding.base64URL(payload)
            return parts.joined(separator: ".")
        case .recomposed(let index):
            let entries: [[String: Any]]
            if let array = file["signing"] as? [[String: Any]] {
                entries = array
            } else {
                entries = [try #require(file["signing"] as? [String: Any], "no signing block")]
            }
            try #require(entries.indices.contains(index), "no signing[\(index)]")
            let entry = entries[index]
            let signature = try #require(entry["sig"] as? String, "no signing[\(index)].sig")
            let header = entry["protected_b64u"] as? String ?? ""
            return header + "." + VectorEncoding.base64URL(payload) + "." + signature
        }
    }

    /// The example's own key for `form` (`input.key`, or its i-th entry), if Keybound imports it.
    static func fileKey(in input: [String: Any], for form: Form) throws -> JWK? {
        let object: Any?
        if let keys = input["key"] as? [Any] {
            guard case .recomposed(let index) = form, keys.indices.contains(index) else { return nil }
            object = keys[index]
        } else {
            object = input["key"]
        }
        guard let object else { return nil }
        let json = try JSONSerialization.data(withJSONObject: object)
        return try? JWK(json: Array(json))
    }
}
