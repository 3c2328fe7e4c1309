import Foundation
import Testing
import Keybound

/// Attack catalog row 17: non-canonical base64url and Unicode tricks. Only the unpadded RFC 4648
/// §5 alphabet in its one canonical form is accepted (`malformed_token`); decoded headers and
/// payloads must be valid UTF-8 (`malformed_token`); a look-alike `alg` is unknown
/// (`unsupported_algorithm`). Each mutated token decodes to the same bytes under a lax decoder,
/// so a verifier that re-encoded instead of using the received ASCII would accept it.
@Suite("Row 17: base64url canonical form and UTF-8")
struct Row17Base64URLTests {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// A legit token whose signature segment contains both '-' and '_'.
    static func tokenWithURLSafeSignature() throws -> String {
        for _ in 0..<200 {
            let token = try AttackFixture.legitToken()
            let signature = AttackEncoding.segments(token)[2]
            if signature.contains("-") && signature.contains("_") { return token }
        }
        throw AttackTestError("no signature with both '-' and '_' in 200 tries")
    }

    /// A validly signed token whose *header* segment contains '-' and '_'.
    static func tokenWithURLSafeHeader() throws -> String {
        for prefix in ["", "a", "aa"] {
            let header = AttackFixture.header(AttackKeys.es256, extra: ",\"x\":\"\(prefix)???>>>\"")
            let encoded = AttackEncoding.b64(header)
            if encoded.contains("-") && encoded.contains("_") {
                return try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
            }
        }
        throw AttackTestError("no header alignment produced '-' and '_'")
    }

    @Test("Padding '=' on any segment → malformed_token", arguments: [0, 1, 2])
    func padding(segment: Int) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        var parts = AttackEncoding.segments(token)
        fixture.expectAccepted(token)
        for padding in ["=", "==", "==="] {
            parts = AttackEncoding.segments(token)
            parts[segment] += padding
            #expect(fixture.code(parts.joined(separator: ".")) == .malformedToken, "segment \(segment) + \(padding)")
        }
    }

    @Test("'+' and '/' instead of '-' and '_' in the signature → malformed_token")
    func standardAlphabetSignature() throws {
        let fixture = try AttackFixture()
        let token = try Self.tokenWithURLSafeSignature()
        fixture.expectAccepted(token)
        let signature = AttackEncoding.segments(token)[2]
        for (from, to) in [("-", "+"), ("_", "/")] {
            let mutated = AttackEncoding.replacingSignatureText(of: token, with: signature.replacingOccurrences(of: from, with: to))
            #expect(fixture.code(mutated) == .malformedToken, "\(from) → \(to)")
        }
    }

    @Test("'+' and '/' instead of '-' and '_' in the header → malformed_token")
    func standardAlphabetHeader() throws {
        let fixture = try AttackFixture()
        let token = try Self.tokenWithURLSafeHeader()
        fixture.expectAccepted(token)
        var parts = AttackEncoding.segments(token)
        parts[0] = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        fixture.expectRejected(parts.joined(separator: "."), .malformedToken)
    }

    @Test("White space inside, before or after the token → malformed_token",
          arguments: [" ", "\n", "\t", "\r\n", "\u{00A0}"])
    func whitespace(space: String) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        var parts = AttackEncoding.segments(token)
        var variants = [space + token, token + space]
        for segment in 0..<3 {
            parts = AttackEncoding.segments(token)
            let text = parts[segment]
            let middle = text.index(text.startIndex, offsetBy: text.count / 2)
            parts[segment] = String(text[..<middle]) + space + String(text[middle...])
            variants.append(parts.joined(separator: "."))
        }
        for variant in variants {
            #expect(fixture.code(variant) == .malformedToken, "\(variant.debugDescription.prefix(60))")
        }
    }

    @Test("Characters outside the alphabet ('?', '#', '%', '*') → malformed_token", arguments: ["?", "#", "%", "*", "\\"])
    func foreignCharacters(character: String) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        var parts = AttackEncoding.segments(token)
        parts[1] = String(parts[1].dropLast(4)) + character + String(parts[1].suffix(3))
        fixture.expectRejected(parts.joined(separator: "."), .malformedToken)
    }

    @Test("Non-zero trailing bits in the signature's last character (same bytes when decoded laxly) → malformed_token")
    func trailingBitsSignature() throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        let signature = AttackEncoding.segments(token)[2]
        #expect(signature.count % 4 == 2)  // 64 bytes: the last character carries 2 data bits and 4 zero bits
        let last = Self.alphabet.firstIndex(of: signature.last!)!
        for low in 1..<16 {
            let mutated = String(signature.dropLast()) + String(Self.alphabet[(last & ~0x0F) | low])
            #expect(fixture.code(AttackEncoding.replacingSignatureText(of: token, with: mutated)) == .malformedToken,
                    "low bits \(low)")
        }
    }

    @Test("Non-zero trailing bits in the header's last character → malformed_token")
    func trailingBitsHeader() throws {
        let fixture = try AttackFixture()
        // Pad the header so its encoding has a partial final group.
        var extra = ""
        var header = AttackFixture.header(AttackKeys.es256)
        while Array(header.utf8).count % 3 == 0 {
            extra += " "
            header = AttackFixture.header(AttackKeys.es256, extra: ",\"p\":\"\(extra)\"")
        }
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectAccepted(token)
        var parts = AttackEncoding.segments(token)
        let unused = parts[0].count % 4 == 2 ? 0x0F : 0x03
        let last = Self.alphabet.firstIndex(of: parts[0].last!)!
        parts[0] = String(parts[0].dropLast()) + String(Self.alphabet[(last & ~unused) | 1])
        // The signature still covers the original text; a lax verifier re-encoding the header would accept.
        fixture.expectRejected(parts.joined(separator: "."), .malformedToken)
    }

    @Test("A segment of length ≡ 1 (mod 4) → malformed_token", arguments: [0, 1, 2])
    func lengthOneModFour(segment: Int) throws {
        let fixture = try AttackFixture()
        let token = try AttackFixture.legitToken()
        var parts = AttackEncoding.segments(token)
        while parts[segment].count % 4 != 1 { parts[segment] += "A" }
        fixture.expectRejected(parts.joined(separator: "."), .malformedToken)
    }

    @Test("Invalid UTF-8 in the decoded header, validly signed → malformed_token",
          arguments: [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]] as [[UInt8]])
    func invalidUTF8Header(bad: [UInt8]) throws {
        let fixture = try AttackFixture()
        let header = Array(#"{"alg":"ES256","kid":"attack-es256","typ":"at+jwt","x":""#.utf8) + bad + Array("\"}".utf8)
        let token = try AttackFixture.sign(headerBytes: header, payloadBytes: Array(AttackFixture.claims().utf8), with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedToken)
    }

    @Test("Invalid UTF-8 in the decoded payload, validly signed → malformed_token")
    func invalidUTF8Payload() throws {
        let fixture = try AttackFixture()
        var payload = Array(AttackFixture.claims().utf8)
        payload.removeLast()
        payload += Array(#","name":""#.utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        let token = try AttackFixture.sign(headerBytes: Array(AttackFixture.header(AttackKeys.es256).utf8),
                                           payloadBytes: payload, with: AttackKeys.es256)
        fixture.expectRejected(token, .malformedToken)
    }

    @Test("Look-alike alg values (Cyrillic Е, fullwidth, NUL suffix, escaped zero-width) → unsupported_algorithm",
          arguments: ["\u{0415}S256", "ＥＳ256", "ES256\\u0000", "ES\\u200b256", "E\u{0301}S256"])
    func lookAlikeAlg(alg: String) throws {
        let fixture = try AttackFixture()
        let header = AttackFixture.header(AttackKeys.es256, alg: alg)
        let token = try AttackFixture.sign(header: header, payload: AttackFixture.claims(), with: AttackKeys.es256)
        fixture.expectRejected(token, .unsupportedAlgorithm)
    }
}
