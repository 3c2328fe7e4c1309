/// The names Keybound Mail publishes (its audience, scopes, roles and challenge realm).
///
/// Keybound Mail: a realistic protected resource — mailboxes per tenant with messages — behind the
/// Keybound bearer middleware, recording every access attempt, allowed or denied, in the
/// hash-chained audit log. It is the Exchange Online of the Storm-0558 story, done right: a token
/// is accepted only under its own issuer's key, and every use of a token leaves a record.
///
/// Routes (see `docs/mail.md`):
///
/// | Route | Token | Permission |
/// |---|---|---|
/// | `GET /me/messages` | delegated | scope `Mail.Read` |
/// | `GET /me/messages/{id}` | delegated | scope `Mail.Read` |
/// | `POST /me/sendMail` | delegated | scope `Mail.Send` |
/// | `GET /users/{user}/messages` | application, same tenant | role `Mail.Read.All` (or a delegated token for its own mailbox) |
/// | `GET /audit/records` | application of the tenant | role `AuditLog.Read.All` |
public enum MailAPI {
    /// The audience Keybound Mail's tokens must carry.
    public static let audience = "api://mail"
    /// Delegated scope: read the signed-in user's mail.
    public static let readScope = "Mail.Read"
    /// Delegated scope: send mail as the signed-in user.
    public static let sendScope = "Mail.Send"
    /// Application role: read every mailbox of the application's own tenant.
    public static let readAllRole = "Mail.Read.All"
    /// Application role: read the tenant's own audit records.
    public static let auditReadRole = "AuditLog.Read.All"
    /// The realm of Keybound Mail's `WWW-Authenticate` challenges.
    public static let realm = "keybound-mail"
}
