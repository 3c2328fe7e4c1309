internal import GRDB

/// Typed reads of a row that never trap on a value of the wrong type (a tampered row): a wrong
/// type reads as `Int64.min`, empty bytes or an empty string, which no honest row holds.
struct RowValues {
    let row: Row
    init(_ row: Row) { self.row = row }

    func integer(_ name: String) -> Int64 {
        let value: DatabaseValue = row[name]
        if case .int64(let integer) = value.storage { return integer }
        return Int64.min
    }

    func bytes(_ name: String) -> [UInt8] {
        let value: DatabaseValue = row[name]
        if case .blob(let data) = value.storage { return Array(data) }
        return []
    }

    func text(_ name: String) -> String {
        let value: DatabaseValue = row[name]
        if case .string(let text) = value.storage { return text }
        return ""
    }
}

/// Lowercase hexadecimal.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }
}
