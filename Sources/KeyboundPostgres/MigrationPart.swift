import Logging
import PostgresNIO

/// A store that `keybound migrate` copies inside its one transaction, from a module the key
/// store's migration does not know (the audit log, mail, incidents).
package struct MigrationPart: Sendable {
    /// What it copies, for messages ("audit log").
    package var name: String
    /// The tables it fills: each must be empty in the target, or nothing is copied.
    package var tables: [String]
    /// Copies the rows inside the open transaction on the connection and checks them; the rows
    /// copied per table. Throwing rolls the whole migration back.
    package var copy: @Sendable (PostgresConnection, Logger) async throws -> [(table: String, rows: Int)]

    /// A part.
    package init(name: String, tables: [String], copy: @escaping @Sendable (PostgresConnection, Logger) async throws -> [(table: String, rows: Int)]) {
        self.name = name
        self.tables = tables
        self.copy = copy
    }

    /// Counts the rows of `table` on `connection`, and throws unless there are `expected`.
    package static func check(_ table: String, expected: Int, _ connection: PostgresConnection, logger: Logger) async throws {
        let found = try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger) ?? 0
        guard found == expected else {
            throw PostgresStorageError(.database, "\(table): \(expected) rows read, \(found) in the database; nothing was copied")
        }
    }
}
