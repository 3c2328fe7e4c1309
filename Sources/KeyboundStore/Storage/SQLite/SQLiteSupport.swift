import Foundation
internal import KeyboundSQLite

/// What the key store and the provider store share about their SQLite files (the rest is the
/// SQLite core's `SQLiteDatabase` and `writeImmediate`).
enum SQLiteSupport {
    /// Creates `directory` (mode 0700) if it does not exist.
    static func createDataDirectory(_ directory: URL) throws(StoreError) {
        do {
            try SQLiteDatabase.createDataDirectory(directory)
        } catch {
            throw StoreError(.storage, "cannot create the data directory '\(directory.path)'")
        }
    }
}
