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
