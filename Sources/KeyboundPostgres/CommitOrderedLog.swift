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
///
/// A partitioned log (``partitionColumn``) numbers each partition on its own: the token-event log
/// has one sequence per issuer, `(issuer_id, sequence)` being its key. One lock still serialises
/// every appender of the table, which keeps the rule simple and costs one short wait per append.
package struct CommitOrderedLog: Sendable {
    /// The log's table.
    package let table: String
    /// The advisory lock that serialises its appenders (unique per log).
    package let lockKey: Int64
    /// The column whose value picks a partition with its own numbering, or `nil` for one numbering.
    package let partitionColumn: String?

    /// A log in `table` (a fixed identifier from code: letters, digits and `_`), locked with
    /// `lockKey`, numbered per value of `partitionColumn` when it is given.
    package init(table: String, lockKey: Int64, partitionColumn: String? = nil) {
        func isIdentifier(_ name: String) -> Bool {
            !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        precondition(isIdentifier(table) && partitionColumn.map(isIdentifier) != false, "a log's table and partition are plain identifiers")
        self.table = table
        self.lockKey = lockKey
        self.partitionColumn = partitionColumn
    }

    /// As ``nextSequence(_:logger:)``, for the partition `partition` of a partitioned log.
    package func nextSequence(_ connection: PostgresConnection, partition: String, logger: Logger) async throws -> Int64 {
        guard let partitionColumn else { preconditionFailure("'\(table)' is not a partitioned log") }
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        var query = PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM \(table) WHERE \(partitionColumn) = $1")
        query.binds.append(partition, context: .default)
        return try await connection.single(Int64.self, query, logger: logger) ?? 1
    }

    /// Takes the log's lock for the rest of the transaction `connection` is in, and returns the
    /// number the next row must carry. Call it inside the appending transaction, just before the
    /// insert; append several rows by counting on from it.
    package func nextSequence(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        precondition(partitionColumn == nil, "'\(table)' is numbered per partition")
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        return try await connection.single(Int64.self, PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM \(table)"),
                                           logger: logger) ?? 1
    }
}
