import Foundation
import GRDB

/// A ``KeyStoreSession`` on ``SQLiteKeyStore``'s connection: each step is one hop onto the
/// database's queue, inside the transaction the store opened.
struct SQLiteKeySession: KeyStoreSession {
    let queue: DatabaseQueue

    func execute(_ sql: String) async throws {
        try await queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }

    func rollBackIfOpen() async throws {
        try await queue.writeWithoutTransaction { db in
            if db.isInsideTransaction { try db.execute(sql: "ROLLBACK TRANSACTION") }
        }
    }

    private func step<T: Sendable>(_ body: @escaping @Sendable (SQLiteKeyRows) throws -> T) async throws -> T {
        try await queue.writeWithoutTransaction { db in try body(SQLiteKeyRows(db: db)) }
    }

    func issuers() async throws -> [IssuerRecord] { try await step { try $0.issuers() } }
    func issuer(id: String) async throws -> IssuerRecord? { try await step { try $0.issuer(id: id) } }
    func insert(_ issuer: IssuerRecord) async throws { try await step { try $0.insert(issuer) } }
    func keys(issuerID: String?) async throws -> [KeyRecord] { try await step { try $0.keys(issuerID: issuerID) } }
    func key(issuerID: String, keyID: String) async throws -> KeyRecord? { try await step { try $0.key(issuerID: issuerID, keyID: keyID) } }
    func insert(_ key: KeyRecord) async throws { try await step { try $0.insert(key) } }
    func update(_ key: KeyRecord) async throws { try await step { try $0.update(key) } }

    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) async throws -> Int64 {
        try await step { try $0.appendEvent(issuerID: issuerID, keyID: keyID, kind: kind, at: at, actor: actor, reason: reason) }
    }

    func events(after sequence: Int64, limit: Int) async throws -> [KeyEvent] { try await step { try $0.events(after: sequence, limit: limit) } }
    func latestEvent() async throws -> KeyEvent? { try await step { try $0.latestEvent() } }
    func metadata(_ name: String) async throws -> String? { try await step { try $0.metadata(name) } }
    func setMetadata(_ name: String, _ value: String) async throws { try await step { try $0.setMetadata(name, value) } }
}
