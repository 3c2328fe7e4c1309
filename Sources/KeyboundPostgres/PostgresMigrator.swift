import Logging
import PostgresNIO

/// One step of a schema: statements applied together, in one transaction, exactly once.
package struct PostgresMigration: Sendable {
    /// The schema version this step brings the database to (1, 2, …; no gaps).
    package let version: Int
    /// A short name, recorded with the version.
    package let name: String
    /// The statements, in order.
    package let statements: [String]

    package init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Applies versioned migrations, one node at a time.
///
/// Every node runs ``migrate(_:)`` at start. The first takes a session advisory lock, applies each
/// missing version in its own transaction and records it in `keybound_schema_version`; the others
/// wait for the lock and then find nothing to do. A database whose schema is newer than the
/// newest migration this build knows is refused (``PostgresStorageError/Code/schemaTooNew``): an
/// older node must not write rows whose rules it does not know, for example during a rolling
/// upgrade that went wrong.
package struct PostgresMigrator: Sendable {
    /// The advisory lock all nodes take to migrate (0x4B42 is "KB").
    package static let lockKey: Int64 = 0x4B42_0000_0000_0001

    /// The migrations, in version order.
    package let migrations: [PostgresMigration]

    /// A migrator for `migrations`, whose versions must run 1, 2, 3, … with no gap.
    package init(_ migrations: [PostgresMigration]) {
        precondition(migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
                     "migration versions run 1, 2, 3, … with no gap")
        self.migrations = migrations
    }

    /// The newest version this build knows.
    package var latestVersion: Int { migrations.last?.version ?? 0 }

    /// What ``migrate(_:)`` did.
    package struct Outcome: Sendable, Equatable {
        /// The schema version before.
        package var previousVersion: Int
        /// The versions this call applied (empty when another node had, or none was missing).
        package var applied: [Int]

        package init(previousVersion: Int, applied: [Int]) {
            self.previousVersion = previousVersion
            self.applied = applied
        }
    }

    /// Brings `database` to ``latestVersion``, or refuses a newer schema.
    package func migrate(_ database: PostgresBackend) async throws(PostgresStorageError) -> Outcome {
        let logger = database.logger
        do {
            return try await database.withLongConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
                do {
                    let outcome = try await migrateLocked(connection, logger: logger)
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    return outcome
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    throw error
                }
            }
        } catch let error as PostgresStorageError {
            throw error
        } catch {
            throw PostgresStorageError(.database, "cannot migrate the database at \(database.settings): \(String(reflecting: error))")
        }
    }

    /// The database's schema version (0 for an empty database).
    package func currentVersion(_ database: PostgresBackend) async throws(PostgresStorageError) -> Int {
        do {
            return try await database.withConnection { connection in try await Self.version(connection, logger: database.logger) }
        } catch {
            throw PostgresStorageError(.database, "cannot read the schema version at \(database.settings): \(String(reflecting: error))")
        }
    }

    private func migrateLocked(_ connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS keybound_schema_version (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        let current = try await Self.version(connection, logger: logger)
        guard current <= latestVersion else {
            throw PostgresStorageError(.schemaTooNew,
                "the database's schema is version \(current), newer than this build's \(latestVersion): upgrade this node before it joins")
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO keybound_schema_version (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
            }
            applied.append(migration.version)
        }
        return Outcome(previousVersion: current, applied: applied)
    }

    private static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard try await connection.tableExists("keybound_schema_version", logger: logger) else {
            return 0
        }
        return try await connection.single(Int.self, "SELECT COALESCE(MAX(version), 0) FROM keybound_schema_version", logger: logger) ?? 0
    }
}
