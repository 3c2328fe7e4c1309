import Foundation
@testable import Keybound
import Testing

/// Strings are skipped eight plain bytes at a time (``JSONStringRun``). Every byte that is not
/// plain — the quote, the backslash, a control character, a non-ASCII byte — must stop the fast
/// path wherever it falls in a word, in the parser and in the claims scanner alike.
@Suite("JSON strings: the word-at-a-time fast path")
struct JSONStringRunTests {
    /// Every byte value, against the byte-at-a-time definition of "plain", in each of a word's eight places.
    @Test("a word passes exactly when all eight bytes are plain")
    func wordTest() {
        let plainFill = UInt8(ascii: "a")
        for byte in UInt8.min...UInt8.max {
            let isPlain = Self.isPlainByte(byte)
            for place in 0..<8 {
                var word: UInt64 = 0
                for index in 0..<8 { word |= UInt64(index == place ? byte : plainFill) << (8 * index) }
                #expect(JSONStringRun.isPlain(word) == isPlain, "byte \(byte) at \(place)")
            }
        }
        // Neighbours that borrow from each other: every pair of bytes around the boundaries.
        let edges: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xFF]
        for low in edges {
            for high in edges {
                let filler: UInt64 = 0x6161_6161_6161_0000
                let pair = UInt64(low) | (UInt64(high) << 8)
                let word = filler | pair
                let plain = [low, high].allSatisfy(Self.isPlainByte)
                #expect(JSONStringRun.isPlain(word) == plain, "bytes \(low), \(high)")
            }
        }
    }

    /// The byte-at-a-time definition: printable ASCII other than the quote and the backslash.
    static func isPlainByte(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C }

    /// A claim value with one special byte at each offset of the first three words.
    func claims(_ special: String, at offset: Int) -> [UInt8] {
        let value = String(repeating: "x", count: offset) + special + String(repeating: "y", count: 23 - offset)
        return Array("{\"sub\":\"\(value)\",\"iss\":\"https://id.keybound.test/contoso\"}".utf8)
    }

    @Test("the parser and the scanner see every special byte, in every position of a word", arguments: 0..<24)
    func specialBytes(offset: Int) throws {
        // An escape and non-ASCII text are read, not skipped: the value comes back exact.
        for (special, expected) in [("\\n", "\n"), ("\\\"", "\""), ("\\u00e9", "é"), ("é", "é"), ("\u{7F}", "\u{7F}")] {
            let bytes = claims(special, at: offset)
            let object = try #require(try StrictJSONParser.parse(bytes).objectValue)
            let text = String(repeating: "x", count: offset) + expected + String(repeating: "y", count: 23 - offset)
            #expect(object["sub"] == .string(text), "\(special) at \(offset)")
            let scanned = bytes.withUnsafeBytes { ScannedObject.scan($0) }
            guard case .success(let scan) = scanned else { Issue.record("scanner refused \(special) at \(offset)"); continue }
            #expect(scan.registered[.sub] == .string(text), "\(special) at \(offset)")
        }
        // A control character, a bare quote, a stray backslash or broken UTF-8 is refused by both.
        for (special, kind) in [("\u{01}", JSONParseError.Kind.controlCharacterInString), ("\u{1F}", .controlCharacterInString),
                                ("\t", .controlCharacterInString), ("\"", .unexpectedCharacter), ("\\x", .invalidEscape)] {
            let bytes = claims(special, at: offset)
            #expect(throws: JSONParseError.self, "\(special.unicodeScalars.first!.value) at \(offset)") { try StrictJSONParser.parse(bytes) }
            let scanned = bytes.withUnsafeBytes { ScannedObject.scan($0) }
            guard case .failure(let error) = scanned else { Issue.record("scanner accepted \(special) at \(offset)"); continue }
            #expect(error.kind == kind, "\(special.unicodeScalars.first!.value) at \(offset): \(error)")
        }
        var broken = claims("!", at: offset)
        broken[broken.firstIndex(of: UInt8(ascii: "!"))!] = 0xC3
        #expect(throws: JSONParseError.self) { try StrictJSONParser.parse(broken) }
        #expect(broken.withUnsafeBytes { if case .failure(let error) = ScannedObject.scan($0) { error.kind == .invalidUTF8 } else { false } })
    }

    /// The scanner skips the comparisons for a name whose filter bit no earlier raw name set; an
    /// escaped name turns the filter off. A duplicate must be found wherever the pair stands, in
    /// small and large objects, and whichever of the two is escaped.
    @Test("a duplicate is found at every pair of places, raw or escaped, in objects of 2 to 20 members")
    func duplicatesAtEveryPlace() {
        func scanKind(_ names: [String]) -> JSONParseError.Kind? {
            let members = names.enumerated().map { "\"\($0.element)\":\($0.offset)" }.joined(separator: ",")
            let bytes = Array("{\(members)}".utf8)
            if case .failure(let error) = bytes.withUnsafeBytes({ ScannedObject.scan($0) }) { return error.kind }
            return nil
        }
        let pool = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "tid", "scp", "roles", "client_id", "azp", "ver",
                    "a", "", "abcdefgh", "abcdefghi", "https://claims.example/tenant", "x-long-custom-claim", "oid"]
        for count in 2...pool.count {
            let names = Array(pool.prefix(count))
            #expect(scanKind(names) == nil, "\(count) distinct names")
            for first in 0..<count {
                for second in 0..<count where second != first {
                    for escapedSecond in [false, true] {
                        var copy = names
                        let name = names[first]
                        // "\u0069ss" is "iss"; a name escaped in full has the same value.
                        copy[second] = escapedSecond
                            ? name.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
                            : name
                        #expect(scanKind(copy) == .duplicateMember, "\(count): \(name) at \(first) and \(second), escaped \(escapedSecond)")
                    }
                }
            }
        }
    }

    @Test("duplicate names are found by length, first eight bytes and the rest")
    func duplicateNames() {
        for (names, duplicate) in [(["abcdefgh", "abcdefgh"], true), (["abcdefghi", "abcdefghj"], false), (["abcdefghij", "abcdefghij"], true),
                                   (["ab", "abc"], false), (["", ""], true), (["client_id", "client_ie"], false),
                                   (["abcdefgh1", "abcdefgh2", "abcdefgh1"], true)] {
            let members = names.enumerated().map { "\"\($0.element)\":\($0.offset)" }.joined(separator: ",")
            let bytes = Array("{\(members)}".utf8)
            let scanned = bytes.withUnsafeBytes { ScannedObject.scan($0) }
            let found: Bool
            if case .failure(let error) = scanned { found = error.kind == .duplicateMember } else { found = false }
            #expect(found == duplicate, "\(names)")
        }
    }
}
