import Keybound

/// Why the mail store refused or failed an operation: a code and one line, without message contents.
public typealias MailStoreError = CodedError<MailStoreErrorCode>

/// The codes of ``MailStoreError``.
public enum MailStoreErrorCode: String, ErrorCode, CaseIterable {
    /// The database or the file system failed, or could not be reached.
    case storage = "mail_storage_error"
    /// The address belongs to another mailbox.
    case addressTaken = "address_taken"
}
