/// Why a store operation failed: a stable code and one clear line. Never contains key material.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Issuer settings that do not hold together, or a bad argument.
        public static let invalidIssuer = Code(rawValue: "invalid_issuer")
        /// An issuer with that id or URL exists.
        public static let issuerExists = Code(rawValue: "issuer_exists")
        /// No such issuer.
        public static let issuerNotFound = Code(rawValue: "issuer_not_found")
        /// No such key.
        public static let keyNotFound = Code(rawValue: "key_not_found")
        /// The key-encryption key does not open the store's keys.
        public static let wrongKEK = Code(rawValue: "wrong_kek")
        /// No key-encryption key was configured.
        public static let missingKEK = Code(rawValue: "missing_kek")
        /// A key-encryption key that is not 32 bytes of base64.
        public static let invalidKEK = Code(rawValue: "invalid_kek")
        /// A change would break a lifecycle invariant; it was rolled back.
        public static let invariantViolated = Code(rawValue: "invariant_violated")
        /// The database or file system failed.
        public static let storage = Code(rawValue: "storage_error")
        /// Client settings that do not hold together.
        public static let invalidClient = Code(rawValue: "invalid_client")
        /// A client with that id exists at the issuer.
        public static let clientExists = Code(rawValue: "client_exists")
        /// No such client at the issuer.
        public static let clientNotFound = Code(rawValue: "client_not_found")
        /// User settings that do not hold together.
        public static let invalidUser = Code(rawValue: "invalid_user")
        /// A user with that name exists at the issuer.
        public static let userExists = Code(rawValue: "user_exists")
        /// No such user at the issuer.
        public static let userNotFound = Code(rawValue: "user_not_found")
        /// A token id that is already in the issuance ledger.
        public static let duplicateToken = Code(rawValue: "duplicate_token")
        /// The refresh chain was revoked (reuse or replay detected) before the tokens were committed.
        public static let chainRevoked = Code(rawValue: "chain_revoked")
        /// The issuer's directory (clients, users, resources) changed after the tokens were minted
        /// from a copy of it: they were not committed, and must be minted again from a fresh read.
        public static let directoryChanged = Code(rawValue: "directory_changed")
        /// Resource settings that do not hold together (for example a server client that is not a
        /// confidential client of the resource's issuer).
        public static let invalidResource = Code(rawValue: "invalid_resource")
        /// The issuer has no active key.
        public static let noActiveKey = Code(rawValue: "no_active_key")
        /// No such resource (audience) at the issuer.
        public static let resourceNotFound = Code(rawValue: "resource_not_found")
    }

    /// The stable code.
    public let code: Code
    /// One line for humans.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
