import Keybound

/// Why an audit operation failed: a stable code and one line. Never contains key material.
public typealias AuditError = CodedError<AuditErrorCode>

/// The codes of ``AuditError``. Stable codes.
public enum AuditErrorCode: String, ErrorCode, CaseIterable {
    /// The database or the file system failed, or the log's file is missing.
    case storage = "storage_error"
    /// The audit signing key file is missing, unreadable, malformed, too open, or not the log's key.
    case signingKey = "signing_key_error"
    /// A bad argument or setting.
    case invalidArgument = "invalid_argument"
}
