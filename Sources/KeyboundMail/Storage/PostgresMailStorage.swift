import Foundation
internal import KeyboundPostgres
import Logging
internal import PostgresNIO

/// Keybound Mail's rows on PostgreSQL, shared by every node: the tables of schema version 7
/// (`mailbox`, `mail_message`), which the key store's migrator creates. Provisions take the mail
/// store's transaction advisory lock, so two nodes provisioning one owner make one mailbox.
final class PostgresMailStorage: MailStorage {
    /// The advisory lock every provision takes ("KB" 0x0701).
    static let provisionLock: Int64 = 0x4B42_0000_0000_0701

    let database: PostgresBackend
    var location: String { database.settings.description }

    init(database: PostgresBackend) {
        self.database = database
    }

    /// Refuses a database whose schema has no mail tables.
    static func checkSchema(_ database: PostgresBackend) async throws(MailStoreError) {
        try await database.requireTable("mail_message", of: "mail", version: 7) { MailStoreError(.storage, $0) }
    }

    func mailbox(issuer: String, subject: String) async throws(MailStoreError) -> Mailbox? {
        try await read("SELECT * FROM mailbox WHERE issuer = \(issuer) AND subject = \(subject)", Self.mailbox(from:)).first
    }

    func mailbox(address: String) async throws(MailStoreError) -> Mailbox? {
        try await read("SELECT * FROM mailbox WHERE address = \(address)", Self.mailbox(from:)).first
    }

    func mailboxes(named user: String) async throws(MailStoreError) -> [Mailbox] {
        try await read("SELECT * FROM mailbox WHERE address = \(user) OR subject = \(user) ORDER BY address", Self.mailbox(from:))
    }

    func allMailboxes() async throws(MailStoreError) -> [Mailbox] {
        try await read("SELECT * FROM mailbox ORDER BY address", Self.mailbox(from:))
    }

    func provision(_ mailbox: Mailbox, messages: [MailMessage]) async throws(MailStoreError) -> Mailbox {
        let logger = database.logger
        return try await Self.call {
            try await database.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.provisionLock))", logger: logger)
                if let existing = try await Self.rows("SELECT * FROM mailbox WHERE issuer = \(mailbox.issuer) AND subject = \(mailbox.subject)",
                                                      connection, logger: logger).first {
                    return try Self.mailbox(from: existing)
                }
                guard try await Self.rows("SELECT 1 FROM mailbox WHERE address = \(mailbox.address)", connection, logger: logger).isEmpty else {
                    throw MailStoreError(.addressTaken, "the address '\(mailbox.address)' belongs to another mailbox")
                }
                try await connection.query("""
                    INSERT INTO mailbox (address, issuer, tenant_id, subject, display_name, created_at_ms)
                    VALUES (\(mailbox.address), \(mailbox.issuer), \(mailbox.tenantID), \(mailbox.subject), \(mailbox.displayName),
                            \(MailTime.milliseconds(mailbox.createdAt)))
                    """, logger: logger)
                for message in messages { try await Self.insert(message, connection, logger: logger) }
                return mailbox
            }
        }
    }

    func messages(inMailbox address: String, limit: Int) async throws(MailStoreError) -> [MailMessage] {
        try await read("""
            SELECT * FROM mail_message WHERE mailbox = \(address) ORDER BY received_at_ms DESC, id LIMIT \(Int64(max(0, limit)))
            """, Self.message(from:))
    }

    func message(id: String) async throws(MailStoreError) -> MailMessage? {
        try await read("SELECT * FROM mail_message WHERE id = \(id)", Self.message(from:)).first
    }

    func store(sent: MailMessage, deliveries: [MailMessage]) async throws(MailStoreError) {
        let logger = database.logger
        try await Self.call {
            try await database.withTransaction { connection in
                try await Self.insert(sent, connection, logger: logger)
                for message in deliveries { try await Self.insert(message, connection, logger: logger) }
            }
        }
    }

    private static func insert(_ message: MailMessage, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO mail_message (id, mailbox, folder, sender, recipients, subject, body, received_at_ms)
            VALUES (\(message.id), \(message.mailbox), \(message.folder.rawValue), \(message.from), \(message.to.joined(separator: "\n")),
                    \(message.subject), \(message.body), \(MailTime.milliseconds(message.receivedAt)))
            """, logger: logger)
    }

    // MARK: Rows

    private func read<T: Sendable>(_ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> T) async throws(MailStoreError) -> [T] {
        let logger = database.logger
        return try await Self.call {
            try await database.withConnection { connection in try await Self.rows(query, connection, logger: logger).map(decode) }
        }
    }

    private static func rows(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// Runs `body`, turning a database error into a ``MailStoreError`` that names no secret.
    private static func call<T>(_ body: () async throws -> T) async throws(MailStoreError) -> T {
        try await PostgresBackend.storeCall("mail store", { MailStoreError(.storage, $0) }, body)
    }

    static func mailbox(from row: PostgresRandomAccessRow) throws -> Mailbox {
        Mailbox(issuer: try row["issuer"].decode(String.self), tenantID: try row["tenant_id"].decode(String.self),
                subject: try row["subject"].decode(String.self), address: try row["address"].decode(String.self),
                displayName: try row["display_name"].decode(String.self), createdAt: MailTime.date(try row["created_at_ms"].decode(Int64.self)))
    }

    static func message(from row: PostgresRandomAccessRow) throws -> MailMessage {
        let recipients = try row["recipients"].decode(String.self)
        return MailMessage(id: try row["id"].decode(String.self), mailbox: try row["mailbox"].decode(String.self),
                           folder: MailMessage.Folder(rawValue: try row["folder"].decode(String.self)) ?? .inbox,
                           from: try row["sender"].decode(String.self), to: recipients.split(separator: "\n").map(String.init),
                           subject: try row["subject"].decode(String.self), body: try row["body"].decode(String.self),
                           receivedAt: MailTime.date(try row["received_at_ms"].decode(Int64.self)))
    }
}
