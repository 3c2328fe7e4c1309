import Keybound

/// Why a store operation failed: a stable code and one clear line. Never contains key material.
public typealias StoreError = CodedError<StoreErrorCode>

/// The codes of ``StoreError``. Stable codes: an enum, so that every place that answers for a store error (the admin
/// API's status table) must name each code.
public enum StoreErrorCode: String, CaseIterable, ErrorCode {
    /// Issuer settings that do not hold together, or a bad argument.
    case invalidIssuer = "invalid_issuer"
    /// An issuer with that id or URL exists.
    case issuerExists = "issuer_exists"
    /// No such issuer.
    case issuerNotFound = "issuer_not_found"
    /// No such key.
    case keyNotFound = "key_not_found"
    /// The key-encryption key does not open the store's keys.
    case wrongKEK = "wrong_kek"
    /// No key-encryption key was configured.
    case missingKEK = "missing_kek"
    /// A key-encryption key that is not 32 bytes of base64.
    case invalidKEK = "invalid_kek"
    /// A change would break a lifecycle invariant; it was rolled back.
    case invariantViolated = "invariant_violated"
    /// The database or file system failed.
    case storage = "storage_error"
    /// Client settings that do not hold together.
    case invalidClient = "invalid_client"
    /// A client with that id exists at the issuer.
    case clientExists = "client_exists"
    /// No such client at the issuer.
    case clientNotFound = "client_not_found"
    /// User settings that do not hold together.
    case invalidUser = "invalid_user"
    /// A user with that name exists at the issuer.
    case userExists = "user_exists"
    /// No such user at the issuer.
    case userNotFound = "user_not_found"
    /// A token id that is already in the issuance ledger.
    case duplicateToken = "duplicate_token"
    /// The refresh chain was revoked (reuse or replay detected) before the tokens were committed.
    case chainRevoked = "chain_revoked"
    /// The issuer's directory (clients, users, resources) changed after the tokens were minted
    /// from a copy of it: they were not committed, and must be minted again from a fresh read.
    case directoryChanged = "directory_changed"
    /// Resource settings that do not hold together (for example a server client that is not a
    /// confidential client of the resource's issuer).
    case invalidResource = "invalid_resource"
    /// The issuer has no active key.
    case noActiveKey = "no_active_key"
    /// No such resource (audience) at the issuer.
    case resourceNotFound = "resource_not_found"
    /// The issuer's keys are in PKCS#11 custody, and the token is not configured, absent or not
    /// answering: nothing is generated or signed until it is back.
    case custodyUnavailable = "custody_unavailable"
}
