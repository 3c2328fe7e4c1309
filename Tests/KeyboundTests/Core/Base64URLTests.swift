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
}
