import GRDB

extension DatabaseWriter {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, so writers from several processes
    /// serialize on the database instead of failing mid-way on a lock upgrade. The transaction
    /// commits when `body` returns and rolls back when it throws.
    package func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction without blocking the calling task's thread.
    package func writeImmediate<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }
}
