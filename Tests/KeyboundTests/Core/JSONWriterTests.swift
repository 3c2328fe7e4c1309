import Foundation
import Testing
import Keybound

/// The writer passes plain string bytes eight at a time and writes integers' digits itself: both
/// must write exactly what the byte-by-byte escaping and `String(Int64)` wrote before.
@Suite("JSONWriter")
struct JSONWriterTests {
    /// The escaping the writer must produce, written the slow and obvious way.
    static func escaped(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    @Test("a byte that needs escaping, or a non-ASCII one, is handled at every offset of a long string")
    func specialBytesAtEveryOffset() throws {
        let plain = Array("https://login.example.com/tenant-0123456789abcdef/v2.0".utf8)
        for special in ["\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", "\u{7F}", "é", "😀", " "] {
            for offset in 0...plain.count {
                let text = String(decoding: plain[..<offset], as: UTF8.self) + special
                    + String(decoding: plain[offset...], as: UTF8.self)
                let written = JSONWriter().string(.string(text))
                #expect(written == Self.escaped(text), "\(special.debugDescription) at \(offset)")
                #expect(try StrictJSONParser.parse(Array(written.utf8)) == .string(text))
            }
        }
    }

    @Test("integers up to 2^53 are written as String(Int64) writes them; others in Swift's shortest form")
    func numbers() {
        let limit: Int64 = 9_007_199_254_740_992
        var generator = SystemRandomNumberGenerator()
        var integers: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, 1_000_000, limit, -limit, limit - 1]
        for _ in 0..<2_000 { integers.append(Int64.random(in: -limit...limit, using: &generator)) }
        for digits in 1...16 {
            let power = (0..<digits - 1).reduce(Int64(1)) { value, _ in value * 10 }
            integers.append(contentsOf: [power, power - 1, -power])
        }
        for integer in integers {
            #expect(JSONWriter().string(.number(Double(integer))) == String(integer), "\(integer)")
        }
        #expect(JSONWriter().string(.number(-0.0)) == "0")
        #expect(JSONWriter().string(.number(1.5)) == "1.5")
        #expect(JSONWriter().string(.number(-2.25)) == "-2.25")
        #expect(JSONWriter().string(.number(1e300)) == "1e+300")
        #expect(JSONWriter().string(.number(18_014_398_509_481_984)) == "1.8014398509481984e+16")
        #expect(JSONWriter().string(.array([.number(12), .number(-3), .string("a")])) == #"[12,-3,"a"]"#)
    }
}
