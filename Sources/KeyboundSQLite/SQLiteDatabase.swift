import Foundation
import GRDB

/// How Keybound opens its SQLite files: one place for the directory, the connection settings and
/// the migrations, shared by every store that writes through a `DatabasePool`.
package enum SQLiteDatabase {
    /// How long a connection waits for another process's lock before it reports `SQLITE_BUSY`.
    package static let busyTimeout: TimeInterval = 30

    /// Creates `directory` (and its parents, mode 0700) if it does not exist.
    package static func createDataDirectory(_ directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// Opens (creating if needed) the database at `path` as a WAL `DatabasePool` whose every
    /// connection commits with `synchronous = FULL` and waits ``busyTimeout`` for locks, then
    /// applies `migrator`. Errors are GRDB's, for the caller to name its store in.
    package static func openPool(path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB's WAL set-up runs after `prepareDatabase` on the pool's one writer connection and
        // sets `synchronous = NORMAL` there (a commit may then be lost to a power loss or an OS
        // crash). Every write goes through that connection: set FULL on it again, once.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try migrator.migrate(pool)
        return pool
    }

    /// Creates `directory` if needed and opens the store `fileName` in it (``openPool(path:migrator:)``);
    /// `failure` makes the store's own error of a message naming the directory or the file.
    package static func openStore<Failure: Error>(_ fileName: String, in directory: URL, migrator: DatabaseMigrator, store: String,
                                                  _ failure: (String) -> Failure) throws(Failure) -> (pool: DatabasePool, path: String) {
        do { try createDataDirectory(directory) } catch {
            throw failure("cannot create the data directory '\(directory.path)'")
        }
        let path = directory.appendingPathComponent(fileName).path
        do { return (try openPool(path: path, migrator: migrator), path) } catch {
            throw failure("cannot open the \(store) at '\(path)': \(error)")
        }
    }

    /// Opens the existing database at `path` read-only, on one connection that waits
    /// ``busyTimeout`` for locks; `prepare` runs on the connection first (read tuning pragmas).
    package static func openReadOnly(path: String, prepare: (@Sendable (Database) throws -> Void)? = nil) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        if let prepare { configuration.prepareDatabase(prepare) }
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
