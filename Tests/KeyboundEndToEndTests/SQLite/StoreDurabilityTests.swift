import Foundation
import GRDB
@testable import KeyboundAudit
@testable import KeyboundMail
@testable import KeyboundStore
import Testing

/// Each pooled SQLite store (provider: directory and ledger; audit log; mail) commits
/// with `synchronous = FULL` on its writer connection.
@Suite("SQLite stores: every writer commits with synchronous = FULL")
struct StoreDurabilityTests {
    @Test("the provider store, the audit log and the mail store")
    func storesCommitWithFull() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-durability-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pools: [(String, any DatabaseWriter)] = [
            ("provider", try SQLiteProviderStore(directory: directory).pool),
            ("audit", try AuditLog(directory: directory).sqlitePool),
            ("mail", try MailStore(directory: directory).sqlitePool),
        ]
        for (name, pool) in pools {
            let synchronous = try pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(synchronous == 2, "\(name): synchronous = \(synchronous.map(String.init) ?? "nil"), not FULL (2)")
        }
    }
}
