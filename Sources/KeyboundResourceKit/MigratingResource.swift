import Foundation
package import KeyboundPostgres

/// A resource whose SQLite file `keybound migrate` copies into PostgreSQL with the rest of a data
/// directory, inside the same transaction.
package protocol MigratingResource: ProtectedResource {
    /// The copy of the resource's file in `directory`, or `nil` when it has none.
    static func migrationPart(directory: URL) -> MigrationPart?
}
