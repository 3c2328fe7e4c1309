import Foundation
import Keybound
package import KeyboundPostgres
import Synchronization

/// Keybound Mail's mailboxes and messages, in a `MailStorage`: `mail.sqlite` in a data directory
/// (the embedded default), or PostgreSQL shared by every node.
///
/// Mailboxes are never changed or deleted, so the store remembers every mailbox it has read or
/// made (by exact address and by exact owner): a hit never goes to the database, a miss always
/// does (another node may have made it since).
public final class MailStore: Sendable {
    /// The database file name inside a data directory.
    public static let fileName = "mail.sqlite"

    let storage: any MailStorage
    /// Mailboxes seen so far.
    private let remembered = Mutex(MailboxDirectory())

    /// Where the store lives: the database file, or the PostgreSQL database (never its password).
    public var location: String { storage.location }

    init(storage: any MailStorage) {
        self.storage = storage
    }

    /// Opens (creating if needed) the mail store in `directory`.
    public convenience init(directory: URL) throws(MailStoreError) {
        self.init(storage: try SQLiteMailStorage(directory: directory))
    }

    /// Opens the mail store kept in `database` (PostgreSQL, shared by every node), whose schema
    /// must already be at version 7 (opening the key store migrates it).
    package static func open(database: PostgresBackend) async throws(MailStoreError) -> MailStore {
        try await PostgresMailStorage.checkSchema(database)
        return MailStore(storage: PostgresMailStorage(database: database))
    }

    /// The mailbox of the user `subject` of `issuer`, if it exists.
    public func mailbox(issuer: String, subject: String) async throws(MailStoreError) -> Mailbox? {
        if let known = remembered.withLock({ $0.owned(byIssuer: issuer, subject: subject) }) { return known }
        return try await storage.mailbox(issuer: issuer, subject: subject).map(remember)
    }

    /// The mailbox whose address is `address` (compared exactly), if any.
    public func mailbox(address: String) async throws(MailStoreError) -> Mailbox? {
        if let known = remembered.withLock({ $0.byAddress[ExactString(address)] }) { return known }
        return try await storage.mailbox(address: address).map(remember)
    }

    /// Mailboxes named `user`: by address, or by owner subject (at any issuer), by address.
    /// Always read from the database, so a mailbox another node made is among them.
    public func mailboxes(named user: String) async throws(MailStoreError) -> [Mailbox] {
        try await storage.mailboxes(named: user).map(remember)
    }

    /// Every mailbox, by address.
    public func allMailboxes() async throws(MailStoreError) -> [Mailbox] {
        try await storage.allMailboxes()
    }

    /// Creates `mailbox` with `messages` unless its owner already has one; returns the owner's mailbox.
    /// Throws when the address is taken by another owner.
    @discardableResult
    public func provision(_ mailbox: Mailbox, messages: [MailMessage] = []) async throws(MailStoreError) -> Mailbox {
        remember(try await storage.provision(mailbox, messages: messages))
    }

    /// The newest `limit` messages of `mailbox` (both folders), newest first.
    public func messages(in mailbox: Mailbox, limit: Int) async throws(MailStoreError) -> [MailMessage] {
        try await storage.messages(inMailbox: mailbox.address, limit: limit)
    }

    /// The message `id`, wherever it is (the caller checks that it is in the right mailbox).
    public func message(id: String) async throws(MailStoreError) -> MailMessage? {
        try await storage.message(id: id)
    }

    /// Stores `sent` (the sender's copy) and `deliveries` (recipients' copies) in one transaction.
    public func store(sent: MailMessage, deliveries: [MailMessage]) async throws(MailStoreError) {
        try await storage.store(sent: sent, deliveries: deliveries)
    }

    private func remember(_ mailbox: Mailbox) -> Mailbox {
        remembered.withLock { $0.add(mailbox) }
        return mailbox
    }
}

/// Mailboxes in memory, by exact address and by owner subject.
struct MailboxDirectory {
    var byAddress: [ExactString: Mailbox] = [:]
    var bySubject: [ExactString: [Mailbox]] = [:]

    mutating func add(_ mailbox: Mailbox) {
        guard byAddress[ExactString(mailbox.address)] == nil else { return }
        byAddress[ExactString(mailbox.address)] = mailbox
        bySubject[ExactString(mailbox.subject), default: []].append(mailbox)
    }

    func owned(byIssuer issuer: String, subject: String) -> Mailbox? {
        bySubject[ExactString(subject)]?.first { $0.isOwned(byIssuer: issuer, subject: subject) }
    }
}
