import Foundation
import GRDB

/// What the key store and the provider store share about their SQLite files.
enum SQLiteSupport {
    /// Creates `directory` (mode 0700) if it does not exist.
    static func createDataDirectory(_ directory: URL) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.storage, "cannot create the data directory '\(directory.path)'")
        }
    }
}

extension DatabaseWriter {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, so writers from several processes
    /// serialize on the database instead of failing mid-way on a lock upgrade.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }
}
