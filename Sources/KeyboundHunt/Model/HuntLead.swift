import Foundation
import KeyboundAudit

/// A first-time access: an application (issuer and client id) reading a mailbox it had not read
/// in the look-back window before. A **lead, not a verdict**: a new integration, a new employee's
/// mail client or a helpdesk tool does exactly this too. It never makes a hunt "malicious".
public struct HuntLead: Sendable {
    /// The label every output carries with a lead.
    public static let label = "lead, not a verdict"
    /// The same for a list of leads (section headings).
    public static let pluralLabel = "leads, not verdicts"

    /// The first allowed record of the pair in the window.
    public var record: AuditRecord
    /// The application's issuer (`iss`).
    public var clientIssuer: String?
    /// The application (`client_id`).
    public var clientID: String
    /// The mailbox's tenant.
    public var tenant: String?
    /// The mailbox.
    public var mailbox: String
    /// The pair's previous access, older than the look-back window, or `nil` if there was none in the log.
    public var previousAccess: Date?

    /// A lead.
    public init(record: AuditRecord, clientIssuer: String?, clientID: String, tenant: String?, mailbox: String, previousAccess: Date?) {
        self.record = record
        self.clientIssuer = clientIssuer
        self.clientID = clientID
        self.tenant = tenant
        self.mailbox = mailbox
        self.previousAccess = previousAccess
    }
}
