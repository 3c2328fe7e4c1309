import Foundation
import Testing
import Keybound

/// Canonical unpadded base64url (RFC 4648 §5): one accepted encoding per byte string.
@Suite("Base64URL")
struct Base64URLTests {
    @Test("RFC 4648 §10 test vectors, unpadded", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("uses - and _ instead of + and /")
    func urlAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test("refuses every non-canonical form", arguments: [
        "Zg==", "Zg=", "Zm9v YmFy", "Zm9v\nYmFy", "+/+/", "Zh", "Zm9", "Z", "Zm9vY", "Zm9vYmFy=", "Zm9v?mFy", "Zm9vYmF#", "ＺＺ",
    ])
    func refusesNonCanonical(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("round-trips every length from 0 to 64")
    func roundTrip() {
        for length in 0...64 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    /// The encoder takes six bytes at a time where it can and three at a time after: each length
    /// must come out as Foundation's encoder says, and every 12-bit group's pair of characters too.
    @Test("agrees with Foundation's encoder at every length to 520, and for every 12-bit group")
    func wideEncodeSteps() {
        func foundation(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0...520 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64URL.encode(bytes) == foundation(bytes), "length \(length)")
        }
        // Two 12-bit groups in each three bytes: 0 and 1, 2 and 3, … 4094 and 4095.
        var groups: [UInt8] = []
        for first in stride(from: 0, to: 4096, by: 2) {
            let pair = UInt32(first) << 12 | UInt32(first + 1)
            groups += [UInt8(pair >> 16), UInt8(truncatingIfNeeded: pair >> 8), UInt8(truncatingIfNeeded: pair)]
        }
        for shift in 0..<6 {
            let bytes = Array(groups.dropFirst(shift))
            #expect(Base64URL.encode(bytes) == foundation(bytes), "shift \(shift)")
        }
    }

    /// The decoder takes eight characters at a time where it can and four at a time after: each
    /// length and each position of a bad character must come out as Foundation's decoder says.
    @Test("agrees with Foundation's decoder at every length to 520 (an RSA-4096 modulus is 512 bytes), and refuses a bad character anywhere")
    func wideSteps() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...520 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let standard = Data(bytes).base64EncodedString()
            let text = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.decode(text) == bytes, "length \(length)")
            #expect(Base64URL.decode(text).map { Data($0) } == Data(base64Encoded: standard), "length \(length)")
        }
        let valid = Base64URL.encode((0..<60).map { UInt8($0) })
        for position in valid.indices {
            for bad in ["+", "/", "=", " ", "\u{0}", "é"] {
                var broken = valid
                broken.replaceSubrange(position...position, with: bad)
                #expect(Base64URL.decode(broken) == nil, "\(bad) at \(valid.distance(from: valid.startIndex, to: position))")
            }
        }
    }
}
