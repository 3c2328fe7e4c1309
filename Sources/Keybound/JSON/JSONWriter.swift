/// Writes ``JSONValue``s as compact or indented JSON text.
public struct JSONWriter: Sendable {
    /// Whether object members are written sorted by name (byte order) instead of in document order.
    public var sortsKeys: Bool
    /// Whether to indent with two spaces per level.
    public var prettyPrinted: Bool

    /// A writer with the given options; the default is compact output in document order.
    public init(sortsKeys: Bool = false, prettyPrinted: Bool = false) {
        self.sortsKeys = sortsKeys
        self.prettyPrinted = prettyPrinted
    }

    /// The JSON text of `value` as UTF-8 bytes.
    public func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        write(value, into: &output, level: 0)
        return output
    }

    /// The JSON text of `value`.
    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    private func write(_ value: JSONValue, into output: inout [UInt8], level: Int) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): Self.writeNumber(number, into: &output)
        case .string(let string): Self.writeString(string, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, level: level + 1)
                write(element, into: &output, level: level + 1)
            }
            if !elements.isEmpty { newline(into: &output, level: level) }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = sortsKeys ? object.members.sorted { Array($0.name.utf8).lexicographicallyPrecedes($1.name.utf8) } : object.members
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, level: level + 1)
                Self.writeString(member.name, into: &output)
                output.append(UInt8(ascii: ":"))
                if prettyPrinted { output.append(UInt8(ascii: " ")) }
                write(member.value, into: &output, level: level + 1)
            }
            if !members.isEmpty { newline(into: &output, level: level) }
            output.append(UInt8(ascii: "}"))
        }
    }

    private func newline(into output: inout [UInt8], level: Int) {
        guard prettyPrinted else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
    }

    /// Integers up to 2^53 are written without a fraction, their digits straight into `output`;
    /// other numbers in Swift's shortest form.
    static func writeNumber(_ number: Double, into output: inout [UInt8]) {
        guard number == number.rounded(), abs(number) <= SecondsText.safeIntegerLimit else {
            output.append(contentsOf: "\(number)".utf8)
            return
        }
        var magnitude = UInt64(abs(number))
        if number < 0 { output.append(UInt8(ascii: "-")) }
        // 2^53 has 16 digits: written backwards into a 16-byte tuple on the stack.
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = string
        let appendedWhole: Bool = text.withUTF8 { bytes in
            // Fast path: nothing to escape, append the bytes at once. A long string's plain words
            // are passed eight bytes at a time; a word with anything else (even a non-ASCII byte,
            // which needs no escape) is looked at byte by byte.
            let raw = UnsafeRawBufferPointer(bytes)
            var index = raw.count >= 16 ? JSONStringRun.skipPlainWords(raw, from: 0) : 0
            while index < raw.count {
                let byte = raw[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
                index += 1
            }
            output.append(contentsOf: bytes)
            return true
        }
        if appendedWhole {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: "\\\\".utf8)
            case 0x0A: output.append(contentsOf: "\\n".utf8)
            case 0x0D: output.append(contentsOf: "\\r".utf8)
            case 0x09: output.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
