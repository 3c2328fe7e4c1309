import Foundation

/// A public JSON Web Key (RFC 7517) that Keybound can verify signatures with.
///
/// A `JWK` can only be made by importing it (``init(json:)``, ``init(jsonObject:)``) or from a
/// ``SigningKey``; import refuses weak and invalid keys, so every `JWK` holds a usable public key.
/// Whether it may *verify* is a separate question: ``verificationRestriction`` says why not
/// (`use` or `key_ops`), and the trust model adds the issuer binding and lifecycle window.
public struct JWK: Sendable {
    /// The key types Keybound supports.
    public enum KeyType: String, Sendable, CaseIterable {
        /// Elliptic curve (P-256, P-384).
        case ec = "EC"
        /// Octet key pair (Ed25519).
        case okp = "OKP"
        /// RSA.
        case rsa = "RSA"
    }

    /// Immutable fields in one reference, so copying a key (every verification does) is one retain.
    private final class Storage: Sendable {
        let keyType: KeyType
        let keyID: String?
        let algorithm: JWSAlgorithm
        let algorithmIsDeclared: Bool
        let use: String?
        let keyOperations: [String]?
        let issuer: String?
        let certificateValidity: CertificateValidity?
        let publicKey: JWSPublicKey
        let thumbprint: String
        let verificationRestriction: String?
        let containedPrivateKeyMembers: Bool
        let publicJSON: JSONObject

        init(keyType: KeyType, keyID: String?, algorithm: JWSAlgorithm, algorithmIsDeclared: Bool, use: String?, keyOperations: [String]?, issuer: String?, certificateValidity: CertificateValidity?, publicKey: JWSPublicKey, thumbprint: String, verificationRestriction: String?, containedPrivateKeyMembers: Bool, publicJSON: JSONObject) {
            self.keyType = keyType
            self.keyID = keyID
            self.algorithm = algorithm
            self.algorithmIsDeclared = algorithmIsDeclared
            self.use = use
            self.keyOperations = keyOperations
            self.issuer = issuer
            self.certificateValidity = certificateValidity
            self.publicKey = publicKey
            self.thumbprint = thumbprint
            self.verificationRestriction = verificationRestriction
            self.containedPrivateKeyMembers = containedPrivateKeyMembers
            self.publicJSON = publicJSON
        }
    }

    private let storage: Storage

    /// `kty`.
    public var keyType: KeyType { storage.keyType }
    /// `kid`, if the JWK has one.
    public var keyID: String? { storage.keyID }
    /// The one algorithm this key verifies: its `alg`, or the one implied by its type and curve
    /// (P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA, RSA → RS256).
    public var algorithm: JWSAlgorithm { storage.algorithm }
    /// Whether ``algorithm`` came from the JWK's own `alg` member.
    public var algorithmIsDeclared: Bool { storage.algorithmIsDeclared }
    /// `use`, if present.
    public var use: String? { storage.use }
    /// `key_ops`, if present.
    public var keyOperations: [String]? { storage.keyOperations }
    /// The per-key `issuer` member some key sets carry (Microsoft's common endpoint does).
    public var issuer: String? { storage.issuer }
    /// The validity period of the key's `x5c` certificate, if it has one.
    public var certificateValidity: CertificateValidity? { storage.certificateValidity }
    /// The public key.
    public var publicKey: JWSPublicKey { storage.publicKey }
    /// The RFC 7638 SHA-256 thumbprint, base64url.
    public var thumbprint: String { storage.thumbprint }
    /// Why this key may not verify signatures (`use` or `key_ops` say otherwise), or `nil`.
    public var verificationRestriction: String? { storage.verificationRestriction }
    /// Whether the imported JSON also carried private key members (they are never kept here).
    public var containedPrivateKeyMembers: Bool { storage.containedPrivateKeyMembers }
    /// The public members, suitable for publishing in a JWKS.
    public var publicJSON: JSONObject { storage.publicJSON }

    init(
        keyType: KeyType, keyID: String?, algorithm: JWSAlgorithm, algorithmIsDeclared: Bool,
        use: String?, keyOperations: [String]?, issuer: String?, certificateValidity: CertificateValidity?,
        publicKey: JWSPublicKey, thumbprint: String, verificationRestriction: String?,
        containedPrivateKeyMembers: Bool, publicJSON: JSONObject
    ) {
        self.storage = Storage(keyType: keyType, keyID: keyID, algorithm: algorithm, algorithmIsDeclared: algorithmIsDeclared, use: use, keyOperations: keyOperations, issuer: issuer, certificateValidity: certificateValidity, publicKey: publicKey, thumbprint: thumbprint, verificationRestriction: verificationRestriction, containedPrivateKeyMembers: containedPrivateKeyMembers, publicJSON: publicJSON)
    }
}

/// The validity period of a key's X.509 certificate (`x5c`, RFC 7517 §4.7).
public struct CertificateValidity: Sendable, Equatable {
    /// The certificate's notBefore.
    public let notBefore: Date
    /// The certificate's notAfter.
    public let notAfter: Date
    /// The certificate's subject, for messages.
    public let subject: String

    /// Whether `date` lies inside the period, widened by `skew` on both sides.
    public func contains(_ date: Date, skew: TimeInterval = 0) -> Bool {
        date >= notBefore.addingTimeInterval(-skew) && date <= notAfter.addingTimeInterval(skew)
    }
}
