import Foundation
import GRDB
@testable import KeyboundMail

/// Synchronous access to a mail store kept in SQLite, for fixtures that seed one outside any task.
extension MailStore {
    private var sqlite: SQLiteMailStorage {
        guard let storage = storage as? SQLiteMailStorage else { preconditionFailure("this test's mail store is not in SQLite") }
        return storage
    }

    /// The store's database pool.
    var sqlitePool: DatabasePool { sqlite.pool }

    /// Provisions `mailbox` now, on the calling thread.
    @discardableResult
    func provisionNow(_ mailbox: Mailbox, messages: [MailMessage] = []) throws -> Mailbox {
        try sqlite.provisionNow(mailbox, messages: messages)
    }
}
