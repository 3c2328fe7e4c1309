/// Why a store operation failed: a stable code and one clear line. Never contains key material.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidIssuer = Code(rawValue: "invalid_issuer")
        public static let issuerExists = Code(rawValue: "issuer_exists")
        public static let issuerNotFound = Code(rawValue: "issuer_not_found")
        public static let keyNotFound = Code(rawValue: "key_not_found")
        public static let wrongKEK = Code(rawValue: "wrong_kek")
        public static let missingKEK = Code(rawValue: "missing_kek")
        public static let invalidKEK = Code(rawValue: "invalid_kek")
        public static let invariantViolated = Code(rawValue: "invariant_violated")
        public static let storage = Code(rawValue: "storage_error")
        public static let noActiveKey = Code(rawValue: "no_active_key")
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
