import Foundation

/// Where Keybound Mail keeps its mailboxes and messages: `mail.sqlite` in a data directory, or
/// PostgreSQL shared by every node. Storage knows rows, not rules: the routes decide who may read
/// what; a backend only finds rows by their exact keys.
///
/// Mailboxes are never changed or deleted, so a node may remember one it has read. A provision
/// is atomic across writers: an owner (issuer, subject) gets one mailbox, and an address belongs
/// to one owner.
package protocol MailStorage: Sendable {
    /// Where the store lives, with no secret.
    var location: String { get }

    /// The mailbox of the user `subject` of `issuer` (exact bytes), if any.
    func mailbox(issuer: String, subject: String) async throws(MailStoreError) -> Mailbox?

    /// The mailbox whose address is `address` (exact bytes), if any.
    func mailbox(address: String) async throws(MailStoreError) -> Mailbox?

    /// Mailboxes whose address is `user` or whose owner's subject is `user` (at any issuer), by address.
    func mailboxes(named user: String) async throws(MailStoreError) -> [Mailbox]

    /// Every mailbox, by address.
    func allMailboxes() async throws(MailStoreError) -> [Mailbox]

    /// Creates `mailbox` with `messages` unless its owner has one; returns the owner's mailbox.
    /// Throws (`addressTaken`) when another owner holds the address.
    func provision(_ mailbox: Mailbox, messages: [MailMessage]) async throws(MailStoreError) -> Mailbox

    /// The newest `limit` messages of the mailbox at `address`, newest first.
    func messages(inMailbox address: String, limit: Int) async throws(MailStoreError) -> [MailMessage]

    /// The message `id`, wherever it is.
    func message(id: String) async throws(MailStoreError) -> MailMessage?

    /// Stores `sent` and `deliveries` in one transaction.
    func store(sent: MailMessage, deliveries: [MailMessage]) async throws(MailStoreError)
}
