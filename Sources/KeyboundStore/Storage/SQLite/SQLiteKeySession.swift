import Foundation
internal import GRDB

/// A ``KeyStoreSession`` on ``SQLiteKeyStore``'s connection, inside the transaction the store opened.
///
/// Each step after `BEGIN` runs synchronously on the calling thread: the store's session lock keeps
/// every other session of the instance off the connection, and the transaction already holds what
/// it needs of SQLite's locks, so a step never waits for anyone. Hopping onto GRDB's queue for each step instead would send every
/// statement of a rotation through the concurrency pool's queue twice: under load, a revocation
/// made of thirty statements then took seconds. Synchronous steps also ignore task cancellation,
/// so a cancelled session always reaches its `COMMIT` or `ROLLBACK`.
struct SQLiteKeySession: KeyStoreSession {
    let queue: DatabaseQueue

    /// Opens the session's transaction on the database's own queue, not on the calling thread:
    /// `BEGIN IMMEDIATE` may wait up to the busy timeout for another writer, and that writer may be
    /// a session of another instance in this process, suspended mid-transaction and waiting for a
    /// pool thread to resume on. Waiting on the pool's few threads could then hold up the very
    /// session it waits for. The wait runs in a task of its own, so a cancelled caller cannot
    /// skip it and leave a transaction half-opened.
    func begin(_ sql: String) async throws {
        let queue = self.queue
        try await Task { try await queue.writeWithoutTransaction { db in try db.execute(sql: sql) } }.value
    }

    /// Commits the session's transaction (the write lock is held: this does not wait for others).
    func commit() throws {
        try Self.access(queue) { db in try db.execute(sql: "COMMIT TRANSACTION") }
    }

    /// Rolls back the session's transaction if it is still open.
    func rollBackIfOpen() throws {
        try Self.access(queue) { db in
            if db.isInsideTransaction { try db.execute(sql: "ROLLBACK TRANSACTION") }
        }
    }

    /// One synchronous access to the connection (a synchronous function, so that GRDB's blocking
    /// overload is the one called).
    private static func access<T>(_ queue: DatabaseQueue, _ body: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction(body)
    }

    private func step<T>(_ body: (SQLiteKeyRows) throws -> T) throws -> T {
        try Self.access(queue) { db in try body(SQLiteKeyRows(db: db)) }
    }

    func issuers() async throws -> [IssuerRecord] { try step { try $0.issuers() } }
    func issuer(id: String) async throws -> IssuerRecord? { try step { try $0.issuer(id: id) } }
    func insert(_ issuer: IssuerRecord) async throws { try step { try $0.insert(issuer) } }
    func keys(issuerID: String?) async throws -> [KeyRecord] { try step { try $0.keys(issuerID: issuerID) } }
    func key(issuerID: String, keyID: String) async throws -> KeyRecord? { try step { try $0.key(issuerID: issuerID, keyID: keyID) } }
    func insert(_ key: KeyRecord) async throws { try step { try $0.insert(key) } }
    func update(_ key: KeyRecord) async throws { try step { try $0.update(key) } }

    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) async throws -> Int64 {
        try step { try $0.appendEvent(issuerID: issuerID, keyID: keyID, kind: kind, at: at, actor: actor, reason: reason) }
    }

    func events(after sequence: Int64, limit: Int) async throws -> [KeyEvent] { try step { try $0.events(after: sequence, limit: limit) } }
    func latestEvent() async throws -> KeyEvent? { try step { try $0.latestEvent() } }
    func metadata(_ name: String) async throws -> String? { try step { try $0.metadata(name) } }
    func setMetadata(_ name: String, _ value: String) async throws { try step { try $0.setMetadata(name, value) } }
}
