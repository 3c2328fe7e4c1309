import Foundation
import GRDB
import KeyboundSQLite
import Keybound
import Synchronization

/// Keybound Mail's mailboxes and messages: `mail.sqlite` (WAL, `synchronous = FULL`) in a data
/// directory. Reads run concurrently; writes are single transactions.
public final class MailStore: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "mail.sqlite"

    let pool: DatabasePool
    /// The database file.
    public let path: String
    /// Every mailbox, in memory: loaded when the store opens and kept current by ``provision(_:messages:)``.
    /// Mailboxes are never changed or deleted, and one process writes a mail store.
    let mailboxes: Mutex<MailboxDirectory>

    /// Opens (creating if needed) the mail store in `directory`.
    public init(directory: URL) throws(MailStoreError) {
        do {
            try SQLiteDatabase.createDataDirectory(directory)
        } catch {
            throw MailStoreError("cannot create the data directory '\(directory.path)'")
        }
        path = directory.appendingPathComponent(Self.fileName).path
        do {
            pool = try SQLiteDatabase.openPool(path: path, migrator: Self.migrator)
            let all = try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM mailbox").map(Self.mailbox) }
            var directory = MailboxDirectory()
            for mailbox in all { directory.add(mailbox) }
            mailboxes = Mutex(directory)
        } catch {
            throw MailStoreError("cannot open the mail store at '\(path)': \(error)")
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
        return migrator
    }

    /// The mailbox of the user `subject` of `issuer`, if it exists.
    public func mailbox(issuer: String, subject: String) throws(MailStoreError) -> Mailbox? {
        mailboxes.withLock { $0.bySubject[ExactString(subject)]?.first { $0.isOwned(byIssuer: issuer, subject: subject) } }
    }

    /// The mailbox whose address is `address` (compared exactly), if any.
    public func mailbox(address: String) throws(MailStoreError) -> Mailbox? {
        mailboxes.withLock { $0.byAddress[ExactString(address)] }
    }

    /// Mailboxes named `user`: by address, or by owner subject (at any issuer), by address.
    public func mailboxes(named user: String) throws(MailStoreError) -> [Mailbox] {
        mailboxes.withLock { directory in
            var found = directory.bySubject[ExactString(user)] ?? []
            if let byAddress = directory.byAddress[ExactString(user)], !found.contains(byAddress) { found.append(byAddress) }
            return found.sorted { $0.address < $1.address }
        }
    }

    /// Every mailbox, by address.
    public func allMailboxes() throws(MailStoreError) -> [Mailbox] {
        mailboxes.withLock { $0.byAddress.values.sorted { $0.address < $1.address } }
    }

    /// Creates `mailbox` with `messages` unless its owner already has one; returns the owner's mailbox.
    /// Throws when the address is taken by another owner.
    @discardableResult
    public func provision(_ mailbox: Mailbox, messages: [MailMessage] = []) throws(MailStoreError) -> Mailbox {
        try write { db in
            if let existing = try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM mailbox WHERE issuer = ? AND subject = ?"),
                                               arguments: [mailbox.issuer, mailbox.subject]).map(Self.mailbox) {
                return existing
            }
            guard try Row.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM mailbox WHERE address = ?"), arguments: [mailbox.address]) == nil else {
                throw MailStoreError("the address '\(mailbox.address)' belongs to another mailbox", addressTaken: true)
            }
            try db.execute(sql: """
                INSERT INTO mailbox (address, issuer, tenant_id, subject, display_name, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [mailbox.address, mailbox.issuer, mailbox.tenantID, mailbox.subject, mailbox.displayName,
                                 Self.milliseconds(mailbox.createdAt)])
            for message in messages { try Self.insert(message, into: db) }
            return mailbox
        }.remembered(in: mailboxes)
    }

    /// The newest `limit` messages of `mailbox` (both folders), newest first.
    public func messages(in mailbox: Mailbox, limit: Int) throws(MailStoreError) -> [MailMessage] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM message WHERE mailbox = ? ORDER BY received_at_ms DESC, id LIMIT ?"),
                             arguments: [mailbox.address, limit]).map(Self.message)
        }
    }

    /// The message `id`, wherever it is (the caller checks that it is in the right mailbox).
    public func message(id: String) throws(MailStoreError) -> MailMessage? {
        try read { db in try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM message WHERE id = ?"), arguments: [id]).map(Self.message) }
    }

    /// Stores `sent` (the sender's copy) and `deliveries` (recipients' copies) in one transaction.
    public func store(sent: MailMessage, deliveries: [MailMessage]) throws(MailStoreError) {
        try write { db in
            try Self.insert(sent, into: db)
            for message in deliveries { try Self.insert(message, into: db) }
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(MailStoreError) -> T {
        do { return try pool.read(body) } catch let error as MailStoreError { throw error } catch {
            throw MailStoreError("mail store read failed: \(error)")
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(MailStoreError) -> T {
        do { return try pool.write(body) } catch let error as MailStoreError { throw error } catch {
            throw MailStoreError("mail store write failed: \(error)")
        }
    }

    static func insert(_ message: MailMessage, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO message (id, mailbox, folder, sender, recipients, subject, body, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [message.id, message.mailbox, message.folder.rawValue, message.from, message.to.joined(separator: "\n"),
                             message.subject, message.body, milliseconds(message.receivedAt)])
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded(.down)) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }

    static func mailbox(_ row: Row) -> Mailbox {
        Mailbox(issuer: row["issuer"], tenantID: row["tenant_id"], subject: row["subject"], address: row["address"],
                displayName: row["display_name"], createdAt: date(row["created_at_ms"]))
    }

    static func message(_ row: Row) -> MailMessage {
        let recipients: String = row["recipients"]
        return MailMessage(id: row["id"], mailbox: row["mailbox"], folder: MailMessage.Folder(rawValue: row["folder"]) ?? .inbox,
                           from: row["sender"], to: recipients.split(separator: "\n").map(String.init), subject: row["subject"],
                           body: row["body"], receivedAt: date(row["received_at_ms"]))
    }
}

/// The in-memory index of mailboxes, by exact address and by owner subject.
struct MailboxDirectory {
    var byAddress: [ExactString: Mailbox] = [:]
    var bySubject: [ExactString: [Mailbox]] = [:]

    mutating func add(_ mailbox: Mailbox) {
        guard byAddress[ExactString(mailbox.address)] == nil else { return }
        byAddress[ExactString(mailbox.address)] = mailbox
        bySubject[ExactString(mailbox.subject), default: []].append(mailbox)
    }
}

extension Mailbox {
    /// Adds the mailbox to `directory` and returns it.
    func remembered(in directory: borrowing Mutex<MailboxDirectory>) -> Mailbox {
        directory.withLock { $0.add(self) }
        return self
    }
}
