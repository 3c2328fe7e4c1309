import Testing
import Keybound

/// The strict JSON reader refuses what lenient parsers disagree about.
@Suite("StrictJSONParser")
struct StrictJSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try StrictJSONParser.parse(Array(text.utf8)) }

    func kind(_ text: String) -> JSONParseError.Kind? {
        do { _ = try parse(text); return nil } catch { return error.kind }
    }

    @Test("parses nested values and keeps member order")
    func parsesValues() throws {
        let value = try parse(#" {"b":[1,-2.5e3,true,false,null],"a":"x\u00e9\ud83d\ude00","c":{}} "#)
        let object = try #require(value.objectValue)
        #expect(object.names == ["b", "a", "c"])
        #expect(object["b"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
        #expect(object["a"] == .string("xé😀"))
        #expect(object["c"] == .object(JSONObject()))
    }

    @Test("refuses duplicate member names, also when spelled with escapes")
    func duplicates() {
        #expect(kind(#"{"alg":"RS256","alg":"none"}"#) == .duplicateMember)
        #expect(kind(#"{"sub":"a","s\u0075b":"b"}"#) == .duplicateMember)
        #expect(kind(#"{"o":{"x":1,"x":2}}"#) == .duplicateMember)
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(kind("{\(many),\"k39\":0}") == .duplicateMember)
        #expect(kind("{\(many)}") == nil)
    }

    @Test("caps nesting at 32 levels")
    func depth() {
        #expect(kind(String(repeating: "[", count: 32) + String(repeating: "]", count: 32)) == nil)
        #expect(kind(String(repeating: "[", count: 33) + String(repeating: "]", count: 33)) == .tooDeep)
        #expect(kind(String(repeating: "[", count: 100_000)) == .tooDeep)
    }

    @Test("refuses numbers that are not finite or not JSON", arguments: ["1e309", "-1e400", "NaN", "Infinity", "01", "1.", ".5", "+1", "0x10", "1e", "--1"])
    func numbers(text: String) {
        let result = kind("[\(text)]")
        #expect(result == .nonFiniteNumber || result == .invalidNumber || result == .unexpectedCharacter)
    }

    @Test("keeps large and fractional numbers exact enough")
    func numberValues() throws {
        #expect(try parse("1700000000") == .number(1_700_000_000))
        #expect(try parse("18446744073709551616") == .number(18_446_744_073_709_551_616))
        #expect(try parse("1700000000.5") == .number(1_700_000_000.5))
        #expect(try parse("-0") == .number(0))
    }

    @Test("refuses invalid UTF-8, lone surrogates and raw control characters")
    func strings() {
        #expect((try? StrictJSONParser.parse([0x22, 0xC3, 0x28, 0x22])) == nil)  // bad continuation
        #expect((try? StrictJSONParser.parse([0x22, 0xC0, 0xAF, 0x22])) == nil)  // overlong '/'
        #expect((try? StrictJSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22])) == nil)  // encoded surrogate
        #expect(kind(#""\ud800""#) == .unpairedSurrogate)
        #expect(kind(#""\udc00\ud800""#) == .unpairedSurrogate)
        #expect(kind("\"a\tb\"") == .controlCharacterInString)
        #expect(kind(#""\x41""#) == .invalidEscape)
    }

    @Test("refuses trailing data, a BOM and truncation")
    func framing() {
        #expect(kind(#"{"a":1} x"#) == .trailingData)
        #expect(kind(#"{"a":1}{}"#) == .trailingData)
        #expect(kind("\u{FEFF}{}") == .unexpectedCharacter)
        #expect(kind(#"{"a":1"#) == .unexpectedEnd)
        #expect(kind("") == .unexpectedEnd)
        #expect(kind(#"{"a":1,}"#) == .unexpectedCharacter)
        #expect(kind("[1,]") == .unexpectedCharacter)
    }

    @Test("the writer round-trips what the reader accepts")
    func roundTrip() throws {
        let text = #"{"s":"q\"b\\n\n\u0001é","n":[0,-1,1.5,1e+300,9007199254740992],"o":{"t":true,"f":false,"z":null}}"#
        let value = try parse(text)
        let written = JSONWriter().string(value)
        #expect(try parse(written) == value)
        #expect(JSONWriter(sortsKeys: true).string(.object(JSONObject(["b": .number(1), "a": .number(2)]))) == #"{"a":2,"b":1}"#)
    }
}
