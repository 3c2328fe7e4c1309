import Logging
import PostgresNIO

/// A resumable log whose rows are numbered in commit order, across every node.
///
/// Readers of a log (key events, token events, the issuance feed) resume with "rows after
/// sequence N". That is only safe if no row with a smaller number can commit after a reader has
/// seen a larger one. A PostgreSQL sequence does not promise that: two transactions can take 7 and
/// 8, and 8 can commit first; a reader that saw 8 would never see 7. So an appending transaction
/// first takes the log's transaction-scoped advisory lock, which it holds until it commits or
/// rolls back, and only then takes the next number: appenders to one log commit one at a time, in
/// number order, and the numbers have no gaps (a rolled-back append leaves none behind).
///
/// The table needs a `sequence bigint` column that is its primary key (or otherwise indexed).
package struct CommitOrderedLog: Sendable {
    /// The log's table.
    package let table: String
    /// The advisory lock that serialises its appenders (unique per log).
    package let lockKey: Int64

    /// A log in `table` (a fixed identifier from code: letters, digits and `_`), locked with `lockKey`.
    package init(table: String, lockKey: Int64) {
        precondition(!table.isEmpty && table.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") },
                     "a log's table is a plain identifier")
        self.table = table
        self.lockKey = lockKey
    }

    /// Takes the log's lock for the rest of the transaction `connection` is in, and returns the
    /// number the next row must carry. Call it inside the appending transaction, just before the
    /// insert; append several rows by counting on from it.
    package func nextSequence(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        return try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM \(table)"),
                                           logger: logger) ?? 1
    }
}
