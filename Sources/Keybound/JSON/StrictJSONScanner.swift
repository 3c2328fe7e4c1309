#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A validating pass over a JSON object that builds no values.
///
/// It enforces exactly the rules of ``StrictJSONParser`` (grammar, UTF-8, escapes, surrogates,
/// finite numbers, depth, unique member names, nothing after the value) and records where each
/// top-level member's name and value lie, so a verifier can read the few claims it checks without
/// materializing the whole object. Anything it accepts, the parser accepts, and vice versa.
package struct ScannedObject {
    /// A member name: a byte range into the scanned buffer, and its bytes with escapes resolved
    /// when it had any (decoded once, on the slow path).
    struct Name {
        let start: Int
        let end: Int
        let decoded: [UInt8]?
        /// The first eight raw bytes (fewer for a shorter name, the rest zero): most names differ
        /// there, so the duplicate check rarely needs a `memcmp`.
        let prefix: UInt64

        init(start: Int, end: Int, decoded: [UInt8]?, in buffer: UnsafeRawBufferPointer) {
            self.start = start
            self.end = end
            self.decoded = decoded
            // Byte i at bits 8i on every host, however the word was read.
            let count = end - start
            if start + 8 <= buffer.count {
                let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                prefix = count >= 8 ? word : word & ((1 << (8 * UInt64(count))) &- 1)
            } else {
                var word: UInt64 = 0
                for offset in 0..<min(count, 8) { word |= UInt64(buffer[start + offset]) << (8 * offset) }
                prefix = word
            }
        }

        /// One bit of 64 chosen by the name's length and first eight bytes: two equal raw names
        /// always choose the same bit.
        var filterBit: UInt64 {
            let hash = (prefix ^ UInt64(truncatingIfNeeded: end - start) << 56) &* 0x9E37_79B9_7F4A_7C15
            return 1 << (hash >> 58)
        }
    }

    /// The top-level members' names, in document order.
    let members: [Name]
    /// The registered claims among the top-level members, read in the same pass.
    let registered: RegisteredClaimValues

    /// Whether a top-level member is named exactly `name`.
    func contains(_ name: String, in buffer: UnsafeRawBufferPointer) -> Bool {
        var wanted = name
        return wanted.withUTF8 { wantedBytes in
            members.contains { member in
                if let decoded = member.decoded { return decoded.elementsEqual(wantedBytes) }
                let raw = UnsafeRawBufferPointer(rebasing: buffer[member.start..<member.end])
                return raw.elementsEqual(UnsafeRawBufferPointer(wantedBytes))
            }
        }
    }

    /// Scans `buffer`, which must hold one JSON object.
    package static func scan(_ buffer: UnsafeRawBufferPointer) -> Result<ScannedObject, JSONParseError> {
        var scanner = Scanner(reader: Reader(buffer: buffer))
        do throws(JSONParseError) {
            scanner.reader.skipWhitespace()
            guard try scanner.reader.peek() == UInt8(ascii: "{") else {
                throw JSONParseError(.unexpectedCharacter, at: scanner.reader.index, detail: "expected an object")
            }
            try scanner.skipObject(depth: 1, topLevel: true)
            scanner.reader.skipWhitespace()
            if scanner.reader.index != buffer.count { throw JSONParseError(.trailingData, at: scanner.reader.index) }
            // The top-level object leaves its names on the stack: they are its members.
            return .success(ScannedObject(members: scanner.nameStack, registered: scanner.registered))
        } catch {
            return .failure(error)
        }
    }
}

private struct Scanner {
    var reader: Reader
    var registered = RegisteredClaimValues()
    /// Names of the objects being scanned, innermost last. A nested object's names are removed when
    /// it ends; the top-level object's stay, and become ``ScannedObject/members``.
    var nameStack: [ScannedObject.Name] = []

    /// Objects with more members than this switch from pairwise comparison to a set.
    static let pairwiseLimit = 16

    init(reader: Reader) {
        self.reader = reader
        nameStack.reserveCapacity(32)
    }

    mutating func skipValue(depth: Int) throws(JSONParseError) {
        switch try reader.peek() {
        case UInt8(ascii: "{"): try skipObject(depth: depth, topLevel: false)
        case UInt8(ascii: "["): try skipArray(depth: depth)
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try reader.expectLiteral("true")
        case UInt8(ascii: "f"): try reader.expectLiteral("false")
        case UInt8(ascii: "n"): try reader.expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try reader.readNumber()
        default: throw JSONParseError(.unexpectedCharacter, at: reader.index)
        }
    }

    mutating func skipObject(depth: Int, topLevel isTopLevel: Bool) throws(JSONParseError) {
        if depth > StrictJSONParser.maximumDepth { throw JSONParseError(.tooDeep, at: reader.index) }
        reader.index += 1
        let base = nameStack.count
        defer { if !isTopLevel { nameStack.removeLast(nameStack.count - base) } }
        var nameSet: Set<[UInt8]>? = nil
        // The filter bits of this object's raw names so far. A raw name whose bit is not set
        // cannot be a duplicate of one of them, and the comparisons are skipped. An escaped name
        // turns the filter off for the rest of the object: its raw bytes are not its name.
        var seenBits: UInt64 = 0
        var filterUsable = true
        reader.skipWhitespace()
        if try reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
            return
        }
        while true {
            reader.skipWhitespace()
            guard try reader.peek() == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter, at: reader.index) }
            let nameOffset = reader.index
            let raw = try skipString()
            let name = ScannedObject.Name(start: raw.start, end: raw.end, decoded: raw.escaped ? try decodedName(raw) : nil, in: reader.buffer)
            let isDuplicate: Bool
            let bit = name.filterBit
            if name.decoded != nil { filterUsable = false }
            if filterUsable, seenBits & bit == 0, nameStack.count - base < Self.pairwiseLimit {
                isDuplicate = false
            } else if nameStack.count - base < Self.pairwiseLimit {
                // By index, not through a slice: a slice would retain the stack's storage.
                var found = false
                for index in base..<nameStack.count where sameName(nameStack[index], name) {
                    found = true
                    break
                }
                isDuplicate = found
            } else {
                if nameSet == nil { nameSet = Set(nameStack[base...].map(bytes(of:))) }
                isDuplicate = !nameSet!.insert(bytes(of: name)).inserted
            }
            if isDuplicate {
                throw JSONParseError(.duplicateMember, at: nameOffset, detail: String(decoding: bytes(of: name), as: UTF8.self))
            }
            nameStack.append(name)
            seenBits |= bit
            reader.skipWhitespace()
            guard try reader.peek() == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter, at: reader.index) }
            reader.index += 1
            reader.skipWhitespace()
            let claim: RegisteredClaimName? = isTopLevel
                ? name.decoded.map { RegisteredClaimName(exactlyBytes: $0) } ?? RegisteredClaimName(exactly: UnsafeRawBufferPointer(rebasing: reader.buffer[name.start..<name.end]))
                : nil
            if let claim {
                // A registered claim is read (and so validated) right away: no second pass over it.
                registered[claim] = try reader.readValue(depth: depth + 1)
            } else {
                try skipValue(depth: depth + 1)
            }
            reader.skipWhitespace()
            switch try reader.peek() {
            case UInt8(ascii: ","): reader.index += 1
            case UInt8(ascii: "}"): reader.index += 1; return
            default: throw JSONParseError(.unexpectedCharacter, at: reader.index)
            }
        }
    }

    mutating func skipArray(depth: Int) throws(JSONParseError) {
        if depth > StrictJSONParser.maximumDepth { throw JSONParseError(.tooDeep, at: reader.index) }
        reader.index += 1
        reader.skipWhitespace()
        if try reader.peek() == UInt8(ascii: "]") {
            reader.index += 1
            return
        }
        while true {
            reader.skipWhitespace()
            try skipValue(depth: depth + 1)
            reader.skipWhitespace()
            switch try reader.peek() {
            case UInt8(ascii: ","): reader.index += 1
            case UInt8(ascii: "]"): reader.index += 1; return
            default: throw JSONParseError(.unexpectedCharacter, at: reader.index)
            }
        }
    }

    /// Validates a string and returns the range of its raw contents (between the quotes).
    mutating func skipString() throws(JSONParseError) -> (start: Int, end: Int, escaped: Bool) {
        reader.index += 1
        let start = reader.index
        var escaped = false
        let buffer = reader.buffer
        while true {
            // Fast path: printable ASCII other than the quote and the backslash.
            var position = JSONStringRun.skipPlainWords(buffer, from: reader.index)
            while position < buffer.count {
                let byte = buffer[position]
                if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                position += 1
            }
            reader.index = position
            guard reader.index < buffer.count else { throw JSONParseError(.unexpectedEnd, at: reader.index) }
            let byte = buffer[reader.index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = reader.index
                reader.index += 1
                return (start, end, escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                reader.index += 1
                var sink: [UInt8] = []
                try reader.readEscape(into: &sink)
            case 0..<0x20:
                throw JSONParseError(.controlCharacterInString, at: reader.index)
            case 0..<0x80:
                reader.index += 1
            default:
                guard let length = UTF8Validation.sequenceLength(in: buffer, at: reader.index) else {
                    throw JSONParseError(.invalidUTF8, at: reader.index)
                }
                reader.index += length
            }
        }
    }

    func sameName(_ a: ScannedObject.Name, _ b: ScannedObject.Name) -> Bool {
        if a.decoded == nil && b.decoded == nil {
            let count = a.end - a.start
            guard count == b.end - b.start, a.prefix == b.prefix else { return false }
            // Equal lengths and equal first eight bytes: a name of eight bytes or fewer is equal.
            return count <= 8 || memcmp(reader.buffer.baseAddress! + a.start + 8, reader.buffer.baseAddress! + b.start + 8, count - 8) == 0
        }
        return bytes(of: a) == bytes(of: b)
    }

    /// A name's exact bytes: decoded if it had escapes, raw otherwise.
    func bytes(of name: ScannedObject.Name) -> [UInt8] {
        name.decoded ?? Array(UnsafeRawBufferPointer(rebasing: reader.buffer[name.start..<name.end]))
    }

    /// The name's bytes with escapes resolved (the slow path for escaped names).
    func decodedName(_ name: (start: Int, end: Int, escaped: Bool)) throws(JSONParseError) -> [UInt8] {
        var copy = Reader(buffer: reader.buffer)
        copy.index = name.start - 1
        return Array(try copy.readString().utf8)
    }
}
