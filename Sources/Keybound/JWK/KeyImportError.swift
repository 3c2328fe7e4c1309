/// Why a JWK or JWK Set was refused at import.
///
/// Errors are a struct over a code so new codes are not breaking changes.
public struct KeyImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes for import failures.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Not valid JSON, not an object, or a member of the wrong type or encoding.
        public static let malformed = Code(rawValue: "malformed_key")
        /// A `kty` or `crv` Keybound does not support (for example P-521 or X25519); skipped in sets.
        public static let unsupportedKeyType = Code(rawValue: "unsupported_key_type")
        /// An `alg` outside ES256, ES384, EdDSA, RS256 and PS256; skipped in sets.
        public static let unsupportedAlgorithm = Code(rawValue: "unsupported_algorithm")
        /// A symmetric (`oct`) key: never trusted, and a set containing one is refused whole.
        public static let symmetricKey = Code(rawValue: "symmetric_key")
        /// RSA below 2048 bits or with e ≠ 65537, or a small-order Ed25519 point.
        public static let weakKey = Code(rawValue: "weak_key")
        /// A point off the curve, a wrong length, an `alg` that does not fit the key, a certificate that does not match.
        public static let invalidKey = Code(rawValue: "invalid_key")
        /// Two keys of one set share a `kid`.
        public static let duplicateKeyID = Code(rawValue: "duplicate_kid")
        /// Private key members where only a public key belongs, or missing where a private key is needed.
        public static let privateKeyMaterial = Code(rawValue: "private_key_material")
        /// A key bound to another issuer than the one it is being trusted for.
        public static let issuerBinding = Code(rawValue: "issuer_binding")
        /// A key of a common set is bound to a concrete issuer whose tenancy the caller did not state.
        public static let tenancyUnstated = Code(rawValue: "tenancy_unstated")
    }

    /// The stable code.
    public let code: Code
    /// One line for humans. Never contains private key material.
    public let reason: String

    /// Creates an import error.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
