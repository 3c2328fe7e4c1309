import Foundation
import Keybound

/// One user's mailbox. It belongs to exactly one identity system: the issuer and tenant of the
/// user's tokens, and the user's subject (`sub`) there.
public struct Mailbox: Sendable, Equatable {
    /// The issuer (`iss`) of the owner's tokens.
    public var issuer: String
    /// The tenant id (`tid`) the mailbox belongs to.
    public var tenantID: String
    /// The owner's subject (`sub`) at that issuer.
    public var subject: String
    /// The mailbox's address, unique across tenants (e.g. `adele@contoso.example`).
    public var address: String
    /// A display name.
    public var displayName: String
    /// When the mailbox was created.
    public var createdAt: Date

    /// A mailbox.
    public init(issuer: String, tenantID: String, subject: String, address: String, displayName: String, createdAt: Date) {
        self.issuer = issuer
        self.tenantID = tenantID
        self.subject = subject
        self.address = address
        self.displayName = displayName
        self.createdAt = createdAt
    }

    /// Whether the mailbox is owned by the user `subject` of `issuer`, compared byte for byte.
    public func isOwned(byIssuer issuer: String, subject: String) -> Bool {
        self.issuer.isExactly(issuer) && self.subject.isExactly(subject)
    }

    /// The tenant the mailbox belongs to: (issuer, tid). Compared byte for byte; its kind is not
    /// stored, so it reads as `.tenant`, which equality ignores.
    public var tenant: Tenant { Tenant(issuer: issuer, tenantID: tenantID, kind: .tenant) }
}

/// One message in a mailbox folder.
public struct MailMessage: Sendable, Equatable {
    /// The folder a message is in.
    public enum Folder: String, Sendable, CaseIterable {
        /// Received mail.
        case inbox
        /// The sender's copy of sent mail.
        case sent
    }

    /// The message id (`msg_` and 128 random bits in hex), unique across mailboxes.
    public var id: String
    /// The address of the mailbox holding this copy.
    public var mailbox: String
    /// Its folder.
    public var folder: Folder
    /// The sender's address.
    public var from: String
    /// The recipients' addresses.
    public var to: [String]
    /// The subject line.
    public var subject: String
    /// The plain-text body.
    public var body: String
    /// When it arrived (or was sent).
    public var receivedAt: Date

    /// A message.
    public init(id: String, mailbox: String, folder: Folder, from: String, to: [String], subject: String, body: String, receivedAt: Date) {
        self.id = id
        self.mailbox = mailbox
        self.folder = folder
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.receivedAt = receivedAt
    }
}
