/// Why an audit operation failed: a stable code and one line. Never contains key material.
public struct AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The code's text.
        public let rawValue: String
        /// A code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The database or the file system failed, or the log's file is missing.
        public static let storage = Code(rawValue: "storage_error")
        /// The audit signing key file is missing, unreadable, malformed, too open, or not the log's key.
        public static let signingKey = Code(rawValue: "signing_key_error")
        /// A bad argument or setting.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
    }

    /// The stable code.
    public let code: Code
    /// One line for humans.
    public let message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
