import Testing
import Keybound

/// RFC 7638 thumbprints and JWK import basics.
@Suite("JWK import and thumbprints")
struct JWKThumbprintTests {
    /// RFC 7638 §3.1 example key and its SHA-256 thumbprint.
    static let rfc7638Key = #"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#

    @Test("RFC 7638 §3.1 thumbprint")
    func rfc7638() throws {
        let key = try JWK(json: Array(Self.rfc7638Key.utf8))
        #expect(key.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        #expect(key.algorithm == .rs256)
        #expect(key.keyID == "2011-04-29")
    }

    @Test("generated keys round-trip through their public JWK with the same thumbprint", arguments: JWSAlgorithm.allCases)
    func generatedRoundTrip(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm: algorithm, issuer: "https://issuer.test")
        let reimported = try JWK(json: JSONWriter().bytes(.object(key.publicJWK.publicJSON)))
        #expect(reimported.thumbprint == key.publicJWK.thumbprint)
        #expect(reimported.algorithm == algorithm)
        #expect(reimported.issuer == "https://issuer.test")
        #expect(key.keyID == key.publicJWK.thumbprint)
    }

    @Test("private JWKs round-trip and never show their material in descriptions", arguments: JWSAlgorithm.allCases)
    func privateRoundTrip(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm: algorithm, issuer: "https://issuer.test", keyID: "k1")
        let exported = key.exportPrivateJWK()
        let privateValue = try #require(exported["d"]?.stringValue)
        let reimported = try SigningKey(privateJWKObject: exported)
        #expect(reimported.publicJWK.thumbprint == key.publicJWK.thumbprint)
        for text in [String(describing: key), String(reflecting: key), "\(key)"] {
            #expect(!text.contains(privateValue))
        }
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(privateValue))
    }

    @Test("a private JWK whose d belongs to another key is refused")
    func mismatchedPrivateKey() throws {
        let a = try SigningKey.generate(algorithm: .es256, issuer: "https://issuer.test", keyID: "a")
        let b = try SigningKey.generate(algorithm: .es256, issuer: "https://issuer.test", keyID: "a")
        var mixed = a.exportPrivateJWK()
        mixed["d"] = b.exportPrivateJWK()["d"]
        #expect(throws: KeyImportError.self) { try SigningKey(privateJWKObject: mixed) }
    }

    @Test("a JWKS with duplicate kids or private members is refused whole")
    func setRefusals() throws {
        let key = try SigningKey.generate(algorithm: .es256, issuer: "https://issuer.test", keyID: "same")
        let publicKey = JSONValue.object(key.publicJWK.publicJSON)
        let duplicate = JSONObject(["keys": .array([publicKey, publicKey])])
        #expect { try JWKSet(jsonObject: duplicate) } throws: { ($0 as? KeyImportError)?.code == .duplicateKeyID }
        let withPrivate = JSONObject(["keys": .array([.object(key.exportPrivateJWK())])])
        #expect { try JWKSet(jsonObject: withPrivate) } throws: { ($0 as? KeyImportError)?.code == .privateKeyMaterial }
    }

    @Test("unsupported keys are skipped with a warning, weak ones kept as unusable")
    func setSkipsAndKeepsUnusable() throws {
        let json = #"{"keys":[{"kty":"EC","crv":"P-521","kid":"p521","x":"AA","y":"AA"},{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}]}"#
        let set = try JWKSet(json: Array(json.utf8))
        #expect(set.keys.isEmpty)
        #expect(set.warnings.count == 1)
        #expect(set.unusableKeys.map(\.keyID) == ["small"])
        #expect(set.unusableKeys.first?.error.code == .weakKey)
    }
}
