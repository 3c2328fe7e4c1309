import Foundation
internal import GRDB
import Keybound

/// Canonical fields to and from SQLite values. Lists are stored as compact JSON arrays of strings.
enum AuditStoredFields {
    /// The database value of one field.
    static func databaseValue(_ field: CanonicalField) -> DatabaseValue {
        switch field {
        case .absent: return .null
        case .text(let text): return text.databaseValue
        case .integer(let value): return value.databaseValue
        case .list(let items): return listText(items).databaseValue
        case .foreign(let bytes): return String(decoding: bytes, as: UTF8.self).databaseValue
        }
    }

    /// The arguments of `SQLiteAuditStorage.insertSQL` for one record. (GRDB's existential initializer: its
    /// generic one maps through a key path, which cost an eighth of the writer's time.)
    static func arguments(sequence: Int64, fields: [CanonicalField], hash: [UInt8]) -> StatementArguments {
        var values: [(any DatabaseValueConvertible)?] = []
        values.reserveCapacity(fields.count + 2)
        values.append(sequence)
        for field in fields { values.append(databaseValue(field)) }
        values.append(Data(hash))
        return StatementArguments(values)
    }

    /// The field stored in column `index` (of ``AuditColumns/all``) of `row`, read the way the
    /// verifier must: whatever the row holds, never trapping on an unexpected type.
    static func field(_ row: Row, column index: Int) -> CanonicalField {
        let column = AuditColumns.all[index]
        let value: DatabaseValue = row[column.name]
        switch (value.storage, column.kind) {
        case (.null, _):
            return .absent
        case (.string(let text), .text):
            return .text(text)
        case (.int64(let integer), .integer):
            return .integer(integer)
        case (.string(let text), .list):
            return listField(text)
        case (.string(let text), _):
            return .foreign(Array("text \(text)".utf8))
        case (.int64(let integer), _):
            return .foreign(Array("integer \(integer)".utf8))
        case (.double(let double), _):
            return .foreign(Array("real \(double.bitPattern)".utf8))
        case (.blob(let data), _):
            return .foreign(Array("blob ".utf8) + Array(data))
        }
    }

    /// A stored list (a JSON array of strings), or a foreign field when it is not one.
    static func listField(_ text: String) -> CanonicalField {
        if case .array(let items)? = try? StrictJSONParser.parse(Array(text.utf8)) {
            let strings = items.compactMap(\.stringValue)
            if strings.count == items.count { return .list(strings) }
        }
        return .foreign(Array("unparsable list \(text)".utf8))
    }

    /// The stored text of a list field.
    static func listText(_ items: [String]) -> String {
        JSONWriter().string(.array(items.map(JSONValue.string)))
    }

    /// All 24 fields of `row`.
    static func fields(_ row: Row) -> [CanonicalField] {
        AuditColumns.all.indices.map { field(row, column: $0) }
    }

    /// `row["hash"]` as bytes, or empty when it is not a blob.
    static func hash(_ row: Row) -> [UInt8] {
        let value: DatabaseValue = row["hash"]
        if case .blob(let data) = value.storage { return Array(data) }
        return []
    }

    /// `row["sequence"]` when it is an integer.
    static func sequence(_ row: Row) -> Int64? {
        let value: DatabaseValue = row["sequence"]
        if case .int64(let sequence) = value.storage { return sequence }
        return nil
    }
}
