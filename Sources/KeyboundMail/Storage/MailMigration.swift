import Foundation
internal import GRDB
package import KeyboundPostgres
internal import KeyboundSQLite
import KeyboundResourceKit
import Logging
internal import PostgresNIO

/// `keybound migrate`'s copy of a data directory's `mail.sqlite` into PostgreSQL: every mailbox
/// and message, exactly as stored (`mailbox`, `mail_message`).
package enum MailMigration {
    /// Rows per `INSERT` page.
    static let pageSize = 500

    /// The copy of the mail store in `directory`, or `nil` when it has none.
    package static func part(directory: URL) -> MigrationPart? {
        let path = directory.appendingPathComponent(MailStore.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return MigrationPart(name: "mail", tables: ["mailbox", "mail_message"]) { connection, logger in
            let queue = try SQLiteDatabase.openReadOnly(path: path)
            defer { try? queue.close() }
            let mailboxes = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT address, issuer, tenant_id, subject, display_name, created_at_ms FROM mailbox ORDER BY address")
            }
            for row in mailboxes {
                try await connection.query("""
                    INSERT INTO mailbox (address, issuer, tenant_id, subject, display_name, created_at_ms)
                    VALUES (\(row["address"] as String), \(row["issuer"] as String), \(row["tenant_id"] as String), \(row["subject"] as String),
                            \(row["display_name"] as String), \(row["created_at_ms"] as Int64))
                    """, logger: logger)
            }
            var after = "", copied = 0
            while true {
                let from = after
                let page = try queue.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT id, mailbox, folder, sender, recipients, subject, body, received_at_ms FROM message
                        WHERE id > ? ORDER BY id LIMIT ?
                        """, arguments: [from, pageSize])
                }
                guard let last = page.last else { break }
                for row in page {
                    try await connection.query("""
                        INSERT INTO mail_message (id, mailbox, folder, sender, recipients, subject, body, received_at_ms)
                        VALUES (\(row["id"] as String), \(row["mailbox"] as String), \(row["folder"] as String), \(row["sender"] as String),
                                \(row["recipients"] as String), \(row["subject"] as String), \(row["body"] as String),
                                \(row["received_at_ms"] as Int64))
                        """, logger: logger)
                }
                copied += page.count
                after = last["id"] as String
            }
            try await MigrationPart.check("mailbox", expected: mailboxes.count, connection, logger: logger)
            try await MigrationPart.check("mail_message", expected: copied, connection, logger: logger)
            return [("mailbox", mailboxes.count), ("mail_message", copied)]
        }
    }
}

extension MailService: MigratingResource {
    /// The copy of `mail.sqlite` in `directory` (``MailMigration``).
    package static func migrationPart(directory: URL) -> MigrationPart? { MailMigration.part(directory: directory) }
}
