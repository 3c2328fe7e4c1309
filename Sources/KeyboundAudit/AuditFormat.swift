/// The tamper-evident audit log of Keybound resource servers (Keybound Mail, Keybound Files).
///
/// - ``AuditRecord``: one access attempt, allowed or denied.
/// - ``AuditLog``: the append-only, hash-chained log in `audit.sqlite`, written with group commit,
///   with checkpoints signed by a dedicated audit key and whole-segment retention.
/// - ``AuditVerifier``: recomputes the chain and the checkpoints and names the first problem.
///
/// The format, the chain and the limits are described in `docs/audit.md`.
public enum AuditFormat {
    /// The version of the record encoding and the database layout this library writes (it reads
    /// format 1 and 2 records too, in one chain).
    public static let currentVersion = 3

    /// The resource server of a record that names none: records of formats 1 and 2 were written
    /// only by Keybound Mail, before the log was shared with other resources.
    public static let resourceServerBeforeFormat3 = "api://mail"
}
