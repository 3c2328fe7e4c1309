import Foundation
import Testing
import Keybound

/// Attack catalog row 28: weak or invalid keys are refused at import. RSA below 2048 bits and
/// e = 1 are `weak_key`; EC points off the curve are `invalid_key`; a key set containing an
/// `oct` key is refused whole (`symmetric_key`). A trusted set keeps weak keys as unusable, so a
/// token naming one is `key_not_usable`.
@Suite("Row 28: weak or invalid keys")
struct Row28WeakKeyImportTests {
    static func importError(_ json: String) -> KeyImportError? {
        do {
            _ = try JWK(json: Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    static func rsaJSON(modulusBits: Int, e: String = "AQAB", kid: String = "weak") -> String {
        var n = [UInt8](repeating: 0xA5, count: (modulusBits + 7) / 8)
        let topBits = modulusBits % 8 == 0 ? 8 : modulusBits % 8
        n[0] = UInt8(1 << (topBits - 1)) | 0x01
        n[n.count - 1] |= 0x01
        return #"{"kty":"RSA","kid":"\#(kid)","n":"\#(Base64URL.encode(n))","e":"\#(e)"}"#
    }

    @Test("RSA moduli below 2048 bits → weak_key", arguments: [512, 1024, 2047])
    func shortRSA(bits: Int) {
        #expect(Self.importError(Self.rsaJSON(modulusBits: bits))?.code == .weakKey)
    }

    @Test("RSA with e = 1 → weak_key")
    func exponentOne() {
        let n = AttackKeys.rs256.publicJWK.publicJSON["n"]!.stringValue!
        #expect(Self.importError(#"{"kty":"RSA","kid":"e1","n":"\#(n)","e":"AQ"}"#)?.code == .weakKey)
    }

    @Test("An EC point off the curve → invalid_key")
    func pointOffCurve() throws {
        let json = AttackKeys.es256.publicJWK.publicJSON
        var y = Base64URL.decode(json["y"]!.stringValue!)!
        y[31] ^= 0x01
        var offCurve = json
        offCurve["y"] = .string(Base64URL.encode(y))
        offCurve["alg"] = nil
        do {
            _ = try JWK(jsonObject: offCurve)
            Issue.record("an off-curve point was imported")
        } catch {
            #expect(error.code == .invalidKey, "\(error)")
        }
        let zero = Base64URL.encode([UInt8](repeating: 0, count: 32))
        #expect(Self.importError(#"{"kty":"EC","crv":"P-256","x":"\#(zero)","y":"\#(zero)"}"#)?.code == .invalidKey)
    }

    @Test("EC coordinates of the wrong length → invalid_key")
    func wrongCoordinateLength() {
        let short = Base64URL.encode([UInt8](repeating: 1, count: 31))
        let x = AttackKeys.es256.publicJWK.publicJSON["x"]!.stringValue!
        #expect(Self.importError(#"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(short)"}"#)?.code == .invalidKey)
    }

    @Test("A single oct JWK → symmetric_key",
          arguments: [#"{"kty":"oct","k":"c2VjcmV0"}"#, #"{"kty":"oct","k":""}"#, #"{"kty":"oct","kid":"x"}"#])
    func octKey(json: String) {
        #expect(Self.importError(json)?.code == .symmetricKey)
    }

    @Test("A JWKS containing an oct key is refused whole → symmetric_key",
          arguments: [#"{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}"#, #"{"kty":"oct","kid":"hmac","k":""}"#, #"{"kty":"oct","kid":"hmac"}"#])
    func octInSet(oct: String) {
        let ec = JSONWriter().string(.object(AttackKeys.es256.publicJWK.publicJSON))
        do {
            _ = try JWKSet(json: Array(#"{"keys":[\#(ec),\#(oct)]}"#.utf8))
            Issue.record("a key set with an oct key was accepted")
        } catch {
            #expect(error.code == .symmetricKey, "\(error)")
        }
    }

    @Test("A trusted set with a 1024-bit RSA key: a token naming it → key_not_usable")
    func weakKeyInTrustedSet() throws {
        let set = try JWKSet(json: Array(#"{"keys":[\#(Self.rsaJSON(modulusBits: 1024, kid: "rsa-1024"))]}"#.utf8))
        #expect(set.unusableKeys.first?.error.code == .weakKey)
        var trust = TrustStore()
        try trust.add(TrustedIssuer(identifier: AttackFixture.issuer, tenancy: .noTenant, keySet: set))
        let fixture = try AttackFixture(trust: trust)
        let token = AttackEncoding.token(header: #"{"alg":"RS256","kid":"rsa-1024","typ":"at+jwt"}"#,
                                         payload: AttackFixture.claims(), signature: [UInt8](repeating: 1, count: 128))
        fixture.expectRejected(token, .keyNotUsable)
    }
}
