import Foundation
import KeyboundPostgres
import PostgresNIO
import Testing
import KeyboundTesting

/// Versioned migrations on a real PostgreSQL: applied once, by one node, and never under an older node.
@Suite("PostgreSQL migrations", .timeLimit(.minutes(10)))
struct PostgresMigratorTests {
    static let migrations = [
        PostgresMigration(version: 1, name: "notes", statements: ["CREATE TABLE note (id bigint PRIMARY KEY, body text NOT NULL)"]),
        PostgresMigration(version: 2, name: "note authors", statements: [
            "ALTER TABLE note ADD COLUMN author text",
            "CREATE INDEX note_author ON note (author)",
        ]),
    ]

    @Test("an empty database is brought to the newest version; a second run applies nothing")
    func freshAndIdempotent() async throws {
        let database = try await TestPostgres.shared.makeDatabase("migrate_fresh")
        try await database.withRunning { db in
            let migrator = PostgresMigrator(Self.migrations)
            #expect(try await migrator.currentVersion(db) == 0)
            #expect(try await migrator.migrate(db) == .init(previousVersion: 0, applied: [1, 2]))
            #expect(try await migrator.migrate(db) == .init(previousVersion: 2, applied: []))
            #expect(try await migrator.currentVersion(db) == 2)
            try await db.client.query("INSERT INTO note (id, body, author) VALUES (1, 'x', 'a')")
        }
    }

    @Test("nodes that start together apply each version exactly once")
    func concurrentNodes() async throws {
        let database = try await TestPostgres.shared.makeDatabase("migrate_concurrent")
        let outcomes: [PostgresMigrator.Outcome] = try await withThrowingTaskGroup(of: PostgresMigrator.Outcome.self) { group in
            for _ in 0..<4 {
                group.addTask { try await database.withRunning { db in try await PostgresMigrator(Self.migrations).migrate(db) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.flatMap(\.applied).sorted() == [1, 2])
        try await database.withRunning { db in
            let rows = try await db.client.query("SELECT version FROM keybound_schema_version ORDER BY version")
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            #expect(versions == [1, 2])
        }
    }

    @Test("a node that knows an older schema refuses the database, and changes nothing")
    func newerSchemaRefused() async throws {
        let database = try await TestPostgres.shared.makeDatabase("migrate_newer")
        try await database.withRunning { db in
            _ = try await PostgresMigrator(Self.migrations).migrate(db)
            let older = PostgresMigrator(Array(Self.migrations.prefix(1)))
            let error = await #expect(throws: PostgresStorageError.self) { try await older.migrate(db) }
            #expect(error?.code == .schemaTooNew)
            #expect(error?.message.contains("version 2") == true && error?.message.contains("build's 1") == true)
            #expect(try await PostgresMigrator(Self.migrations).currentVersion(db) == 2)
        }
    }

    @Test("a failing migration leaves the version where it was, and the next run applies it")
    func failingMigrationRollsBack() async throws {
        let database = try await TestPostgres.shared.makeDatabase("migrate_failing")
        try await database.withRunning { db in
            let broken = PostgresMigrator([Self.migrations[0], PostgresMigration(version: 2, name: "broken", statements: [
                "ALTER TABLE note ADD COLUMN author text",
                "ALTER TABLE no_such_table ADD COLUMN x text",
            ])])
            let error = await #expect(throws: PostgresStorageError.self) { try await broken.migrate(db) }
            #expect(error?.code == .database)
            let version = try await broken.currentVersion(db)
            #expect(version == 1)
            // Version 2's first statement was rolled back with it: the real version 2 applies cleanly.
            let outcome = try await PostgresMigrator(Self.migrations).migrate(db)
            #expect(outcome.applied == [2])
        }
    }
}
