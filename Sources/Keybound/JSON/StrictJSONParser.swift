/// A strict JSON reader (RFC 8259) for JOSE headers, claims and keys.
///
/// Stricter than most: it refuses duplicate member names, invalid UTF-8, unpaired surrogates,
/// nesting deeper than ``maximumDepth``, numbers that do not fit a finite `Double`, a byte-order
/// mark, and anything after the value.
public struct StrictJSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted (the top-level value counts as 1).
    public static let maximumDepth = 32

    /// Parses one JSON document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            parseResult(UnsafeRawBufferPointer(buffer))
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { parseResult($0) }.get()
    }

    /// Parses one JSON document that must be an object.
    public static func parseObject(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONObject {
        let value = try parse(bytes)
        guard case .object(let object) = value else {
            throw JSONParseError(.unexpectedCharacter, at: 0, detail: "expected an object")
        }
        return object
    }

    static func parseResult(_ buffer: UnsafeRawBufferPointer) -> Result<JSONValue, JSONParseError> {
        var reader = Reader(buffer: buffer)
        do throws(JSONParseError) {
            reader.skipWhitespace()
            let value = try reader.readValue(depth: 1)
            reader.skipWhitespace()
            if reader.index != buffer.count { throw JSONParseError(.trailingData, at: reader.index) }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}

/// The cursor both the parser and the validating scanner move over a document.
struct Reader {
    let buffer: UnsafeRawBufferPointer
    var index = 0

    init(buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    func peek() throws(JSONParseError) -> UInt8 {
        guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        return buffer[index]
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        let pointer = literal.utf8Start
        for offset in 0..<count where buffer[index + offset] != pointer[offset] {
            throw JSONParseError(.unexpectedCharacter, at: index + offset)
        }
        index += count
    }

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return .object(try readObject(depth: depth))
        case UInt8(ascii: "["): return .array(try readArray(depth: depth))
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw JSONParseError(.unexpectedCharacter, at: index)
        }
    }

    mutating func readObject(depth: Int) throws(JSONParseError) -> JSONObject {
        if depth > StrictJSONParser.maximumDepth { throw JSONParseError(.tooDeep, at: index) }
        index += 1
        var members: [JSONObject.Member] = []
        members.reserveCapacity(12)
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return JSONObject(uniqueMembers: members)
        }
        var names: Set<ExactString>? = nil
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter, at: index) }
            let nameOffset = index
            let name = try readString()
            if members.count < 16 {
                for member in members where member.name.isExactly(name) {
                    throw JSONParseError(.duplicateMember, at: nameOffset, detail: name)
                }
            } else {
                if names == nil { names = Set(members.map { ExactString($0.name) }) }
                if names!.contains(ExactString(name)) { throw JSONParseError(.duplicateMember, at: nameOffset, detail: name) }
            }
            names?.insert(ExactString(name))
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter, at: index) }
            index += 1
            skipWhitespace()
            let value = try readValue(depth: depth + 1)
            members.append(JSONObject.Member(name: name, value: value))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return JSONObject(uniqueMembers: members)
            default: throw JSONParseError(.unexpectedCharacter, at: index)
            }
        }
    }

    mutating func readArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        if depth > StrictJSONParser.maximumDepth { throw JSONParseError(.tooDeep, at: index) }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth + 1))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return elements
            default: throw JSONParseError(.unexpectedCharacter, at: index)
            }
        }
    }

    mutating func readNumber() throws(JSONParseError) -> Double {
        let start = index
        var isInteger = true
        if buffer[index] == UInt8(ascii: "-") { index += 1 }
        guard index < buffer.count else { throw JSONParseError(.invalidNumber, at: start) }
        if buffer[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(buffer[index]) {
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        } else {
            throw JSONParseError(.invalidNumber, at: start)
        }
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < buffer.count, isDigit(buffer[index]) else { throw JSONParseError(.invalidNumber, at: start) }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if index < buffer.count, buffer[index] == UInt8(ascii: "e") || buffer[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") { index += 1 }
            guard index < buffer.count, isDigit(buffer[index]) else { throw JSONParseError(.invalidNumber, at: start) }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        let length = index - start
        if isInteger && length <= 16 {
            // Up to 15 digits (plus a sign) is exact in a Double: no string conversion needed.
            var negative = false
            var position = start
            if buffer[position] == UInt8(ascii: "-") { negative = true; position += 1 }
            var magnitude: Int64 = 0
            while position < index {
                magnitude = magnitude * 10 + Int64(buffer[position] &- UInt8(ascii: "0"))
                position += 1
            }
            if index - (negative ? start + 1 : start) <= 15 {
                return negative ? -Double(magnitude) : Double(magnitude)
            }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw JSONParseError(.invalidNumber, at: start) }
        guard value.isFinite else { throw JSONParseError(.nonFiniteNumber, at: start) }
        return value
    }

    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    mutating func readString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var isPlainASCII = true
        // Fast path: find the closing quote; fall back to the slow path on escapes or non-ASCII.
        // Eight plain bytes at a time first, then byte by byte from the first word that is not.
        index = JSONStringRun.skipPlainWords(buffer, from: index)
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte >= 0x80 { isPlainASCII = false; break }
            if byte < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
            index += 1
        }
        guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        if isPlainASCII {
            let string = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
            index += 1
            return string
        }
        index = start
        return try readStringSlow()
    }

    mutating func readStringSlow() throws(JSONParseError) -> String {
        var bytes: [UInt8] = []
        while true {
            guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            let byte = buffer[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try readEscape(into: &bytes)
            case 0..<0x20:
                throw JSONParseError(.controlCharacterInString, at: index)
            case 0..<0x80:
                bytes.append(byte)
                index += 1
            default:
                guard let length = UTF8Validation.sequenceLength(in: buffer, at: index) else {
                    throw JSONParseError(.invalidUTF8, at: index)
                }
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index..<index + length]))
                index += length
            }
        }
    }

    mutating func readEscape(into bytes: inout [UInt8]) throws(JSONParseError) {
        guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        let escape = buffer[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): bytes.append(0x22)
        case UInt8(ascii: "\\"): bytes.append(0x5C)
        case UInt8(ascii: "/"): bytes.append(0x2F)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = index - 2
            var scalar = UInt32(try readHex4())
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 2 <= buffer.count, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(.unpairedSurrogate, at: escapeStart)
                }
                index += 2
                let low = UInt32(try readHex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.unpairedSurrogate, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONParseError(.unpairedSurrogate, at: escapeStart)
            }
            guard let unicodeScalar = Unicode.Scalar(scalar) else { throw JSONParseError(.invalidEscape, at: escapeStart) }
            bytes.append(contentsOf: UTF8.encode(unicodeScalar)!)
        default:
            throw JSONParseError(.invalidEscape, at: index - 2)
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt16 {
        guard index + 4 <= buffer.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidEscape, at: index)
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}
