import Foundation
internal import GRDB
internal import KeyboundSQLite

/// Keybound Mail's rows in `mail.sqlite` (WAL, `synchronous = FULL`): reads run concurrently,
/// writes are single `BEGIN IMMEDIATE` transactions.
final class SQLiteMailStorage: MailStorage {
    let pool: DatabasePool
    /// The database file.
    let path: String

    var location: String { path }

    init(directory: URL) throws(MailStoreError) {
        (pool, path) = try SQLiteDatabase.openStore(MailStore.fileName, in: directory, migrator: Self.migrator, store: "mail store") {
            MailStoreError(.storage, $0)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: mailboxes and messages") { db in
            try db.execute(sql: """
                CREATE TABLE mailbox (
                    address TEXT PRIMARY KEY NOT NULL,
                    issuer TEXT NOT NULL,
                    tenant_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    UNIQUE (issuer, subject)
                );
                CREATE TABLE message (
                    id TEXT PRIMARY KEY NOT NULL,
                    mailbox TEXT NOT NULL REFERENCES mailbox(address),
                    folder TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    received_at_ms INTEGER NOT NULL
                );
                CREATE INDEX message_by_mailbox ON message (mailbox, received_at_ms DESC, id);
                """)
        }
        migrator.registerMigration("v2: mailboxes by owner subject") { db in
            try db.execute(sql: "CREATE INDEX mailbox_by_subject ON mailbox (subject)")
        }
        return migrator
    }

    func mailbox(issuer: String, subject: String) async throws(MailStoreError) -> Mailbox? {
        try read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM mailbox WHERE issuer = ? AND subject = ?"),
                             arguments: [issuer, subject]).map(Self.mailbox)
        }
    }

    func mailbox(address: String) async throws(MailStoreError) -> Mailbox? {
        try read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM mailbox WHERE address = ?"), arguments: [address]).map(Self.mailbox)
        }
    }

    func mailboxes(named user: String) async throws(MailStoreError) -> [Mailbox] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM mailbox WHERE address = ? OR subject = ? ORDER BY address"),
                             arguments: [user, user]).map(Self.mailbox)
        }
    }

    func allMailboxes() async throws(MailStoreError) -> [Mailbox] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM mailbox ORDER BY address").map(Self.mailbox) }
    }

    func provision(_ mailbox: Mailbox, messages: [MailMessage]) async throws(MailStoreError) -> Mailbox {
        try provisionNow(mailbox, messages: messages)
    }

    /// ``provision(_:messages:)`` on the calling thread.
    func provisionNow(_ mailbox: Mailbox, messages: [MailMessage]) throws(MailStoreError) -> Mailbox {
        try write { db in
            if let existing = try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM mailbox WHERE issuer = ? AND subject = ?"),
                                               arguments: [mailbox.issuer, mailbox.subject]).map(Self.mailbox) {
                return existing
            }
            guard try Row.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM mailbox WHERE address = ?"), arguments: [mailbox.address]) == nil else {
                throw MailStoreError(.addressTaken, "the address '\(mailbox.address)' belongs to another mailbox")
            }
            try db.execute(sql: """
                INSERT INTO mailbox (address, issuer, tenant_id, subject, display_name, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [mailbox.address, mailbox.issuer, mailbox.tenantID, mailbox.subject, mailbox.displayName,
                                 MailTime.milliseconds(mailbox.createdAt)])
            for message in messages { try Self.insert(message, into: db) }
            return mailbox
        }
    }

    func messages(inMailbox address: String, limit: Int) async throws(MailStoreError) -> [MailMessage] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM message WHERE mailbox = ? ORDER BY received_at_ms DESC, id LIMIT ?"),
                             arguments: [address, limit]).map(Self.message)
        }
    }

    func message(id: String) async throws(MailStoreError) -> MailMessage? {
        try read { db in try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM message WHERE id = ?"), arguments: [id]).map(Self.message) }
    }

    func store(sent: MailMessage, deliveries: [MailMessage]) async throws(MailStoreError) {
        try write { db in
            try Self.insert(sent, into: db)
            for message in deliveries { try Self.insert(message, into: db) }
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(MailStoreError) -> T {
        do { return try pool.read(body) } catch let error as MailStoreError { throw error } catch {
            throw MailStoreError(.storage, "mail store read failed: \(error)")
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(MailStoreError) -> T {
        do { return try pool.writeImmediate(body) } catch let error as MailStoreError { throw error } catch {
            throw MailStoreError(.storage, "mail store write failed: \(error)")
        }
    }

    static func insert(_ message: MailMessage, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO message (id, mailbox, folder, sender, recipients, subject, body, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [message.id, message.mailbox, message.folder.rawValue, message.from, message.to.joined(separator: "\n"),
                             message.subject, message.body, MailTime.milliseconds(message.receivedAt)])
    }

    static func mailbox(_ row: Row) -> Mailbox {
        Mailbox(issuer: row["issuer"], tenantID: row["tenant_id"], subject: row["subject"], address: row["address"],
                displayName: row["display_name"], createdAt: MailTime.date(row["created_at_ms"]))
    }

    static func message(_ row: Row) -> MailMessage {
        let recipients: String = row["recipients"]
        return MailMessage(id: row["id"], mailbox: row["mailbox"], folder: MailMessage.Folder(rawValue: row["folder"]) ?? .inbox,
                           from: row["sender"], to: recipients.split(separator: "\n").map(String.init), subject: row["subject"],
                           body: row["body"], receivedAt: MailTime.date(row["received_at_ms"]))
    }
}

/// Message and mailbox times, stored as milliseconds since 1970 (rounded down).
enum MailTime {
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded(.down)) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}
