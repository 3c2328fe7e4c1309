import Keybound

/// Why a hunt could not run.
public typealias HuntError = CodedError<HuntErrorCode>

/// The codes of ``HuntError``. Stable codes.
public enum HuntErrorCode: String, ErrorCode, CaseIterable {
    /// The audit log is missing or cannot be read.
    case auditUnavailable = "audit_unavailable"
    /// The issuance ledger is missing or cannot be read.
    case ledgerUnavailable = "ledger_unavailable"
    /// The key store cannot be read.
    case keyStoreUnavailable = "key_store_unavailable"
    /// The configuration does not hold together (for example `since` after `until`).
    case invalidConfiguration = "invalid_configuration"
}
