import Foundation
@testable import KeyboundHunt
import Testing

/// The scan's in-memory tables: hex digests read eight characters at a time, byte-string
/// interning, the first-seen map and the digest set.
@Suite("Hunt: in-memory tables")
struct HuntTablesTests {
    static func reference(_ text: String) -> DigestKey? {
        let bytes = Array(text.utf8)
        guard bytes.count == 64, bytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        let value = { (range: Range<Int>) in UInt64(String(decoding: bytes[range], as: UTF8.self), radix: 16)! }
        return DigestKey(high: value(0..<16), low: value(16..<32))
    }

    @Test("digests: every valid lowercase hex string parses as the reference does; anything else is refused")
    func digests() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdef")
        for _ in 0..<2_000 {
            let text = String((0..<64).map { _ in alphabet[Int(generator.next() % 16)] })
            #expect(DigestKey.parse(text) == Self.reference(text))
            #expect(DigestKey.parse(text) != nil)
        }
        let valid = String(repeating: "0123456789abcdef", count: 4)
        #expect(DigestKey.parse(valid) == DigestKey(high: 0x0123_4567_89ab_cdef, low: 0x0123_4567_89ab_cdef))
        // One bad character anywhere (also in the half not kept), upper case, wrong lengths.
        for index in [0, 7, 8, 31, 32, 40, 63] {
            for bad in ["A", "F", "g", "/", ":", "`", "G", " ", "\u{7F}", "é"] {
                var characters = Array(valid)
                characters[index] = Character(bad)
                #expect(DigestKey.parse(String(characters)) == nil, "\(index) \(bad)")
            }
        }
        #expect(DigestKey.parse(String(valid.dropLast())) == nil)
        #expect(DigestKey.parse(valid + "0") == nil)
        #expect(DigestKey.parse("") == nil)
        #expect(DigestKey.parse(nil, 0) == nil)
    }

    @Test("the digest set holds what was inserted, through growth")
    func digestSet() {
        let set = DigestSet(seed: 42, capacity: 4)
        let keys = (0..<5_000).map { DigestKey(high: UInt64($0) &* 0x9E37_79B9_7F4A_7C15, low: UInt64($0)) }
        for key in keys { set.insert(key) }
        set.insert(keys[0])
        #expect(set.count == 5_000)
        #expect(keys.allSatisfy(set.contains))
        #expect(!set.contains(DigestKey(high: 1, low: 1)))
        #expect(!set.contains(DigestKey(high: 12_345, low: 99_999)))
    }

    @Test("interning: equal pairs share an id, NULL differs from empty, order matters, strings come back")
    func interning() {
        let interner = PairInterner(seed: 7, capacity: 2)
        var ids: [Int32] = []
        for index in 0..<3_000 { ids.append(interner.id("issuer-\(index % 3)", "client-\(index)")) }
        #expect(interner.count == 3_000)
        for index in 0..<3_000 { #expect(interner.id("issuer-\(index % 3)", "client-\(index)") == ids[index]) }
        let empty = interner.id("", nil)
        let absent = interner.id(nil, nil)
        let swapped = interner.id(nil, "")
        #expect(Set([empty, absent, swapped]).count == 3)
        #expect(interner.strings(empty) == ("", nil) && interner.strings(absent) == (nil, nil) && interner.strings(swapped) == (nil, ""))
        #expect(interner.id("ab", "c") != interner.id("a", "bc"))
        #expect(interner.strings(ids[1234]) == ("issuer-1", "client-1234"))
    }

    @Test("the last-seen map keeps the later time and says what was there before")
    func lastSeen() {
        let map = LastSeenMap(seed: 3, capacity: 2)
        #expect(map.update(10, 100) == nil)
        #expect(map.update(10, 50) == 100)
        #expect(map.update(10, 200) == 100)
        #expect(map.update(10, 300) == 200)
        for key in 0..<10_000 as Range<UInt64> { _ = map.update(key << 32 | 7, Int64(key)) }
        #expect(map.update(5_000 << 32 | 7, 0) == 5_000)
        #expect(map.count == 10_001)
    }

    @Test("report times are ISO 8601 UTC with milliseconds, also before 1970 and in leap years")
    func times() {
        #expect(HuntTime.iso(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(HuntTime.iso(milliseconds: 1_800_000_000_123) == "2027-01-15T08:00:00.123Z")
        #expect(HuntTime.iso(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(HuntTime.iso(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        for seconds in stride(from: -2_000_000_000, to: 4_000_000_000, by: 9_876_543) {
            let date = Date(timeIntervalSince1970: Double(seconds))
            #expect(HuntTime.iso(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        #expect(HuntTimeText.parse("1800000000") == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(HuntTimeText.parse("2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(HuntTimeText.parse("2027-01-15T08:00:00.500Z") == Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(HuntTimeText.parse("2027-01-15") == Date(timeIntervalSince1970: 1_799_971_200))
        for bad in ["", "yesterday", "2027-13-01", "nan", "1e300"] { #expect(HuntTimeText.parse(bad) == nil, "\(bad)") }
    }
}
