/// Why a hunt could not run.
public struct HuntError: Error, Sendable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable {
        /// The audit log is missing or cannot be read.
        case auditUnavailable = "audit_unavailable"
        /// The issuance ledger is missing or cannot be read.
        case ledgerUnavailable = "ledger_unavailable"
        /// The key store cannot be read.
        case keyStoreUnavailable = "key_store_unavailable"
        /// The configuration does not hold together (for example `since` after `until`).
        case invalidConfiguration = "invalid_configuration"
    }

    /// The code.
    public let code: Code
    /// One line for people.
    public let message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
