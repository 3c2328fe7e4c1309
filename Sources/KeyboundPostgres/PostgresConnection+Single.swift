import Logging
import PostgresNIO

extension PostgresConnection {
    /// The first column of the first row of `query`'s result, or `nil` when it has no row.
    ///
    /// The whole result is read before the value is returned: leaving a row sequence before its
    /// end can leave the connection waiting for a consumer that is gone, so that the next
    /// statement on it (the insert after `nextSequence`) never runs while the transaction holds
    /// its locks. Seen under load in the commit-ordered log test: every appender then waited on
    /// the holder's advisory lock.
    package func single<Value: PostgresDecodable>(_ type: Value.Type, _ query: PostgresQuery, logger: Logger) async throws -> Value? {
        let rows = try await self.query(query, logger: logger).collect()
        return try rows.first?.decode(Value.self)
    }

    /// Whether the table `name` exists (in the search path), as a schema check before a store
    /// uses the database.
    package func tableExists(_ name: String, logger: Logger) async throws -> Bool {
        try await single(Bool.self, "SELECT to_regclass(\(name)) IS NOT NULL", logger: logger) == true
    }
}
