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
        case ec = "EC"
        case okp = "OKP"
        case rsa = "RSA"
    }

    /// `kty`.
    public let keyType: KeyType
    /// `kid`, if the JWK has one.
    public let keyID: String?
    /// The one algorithm this key verifies: its `alg`, or the one implied by its type and curve
    /// (P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA, RSA → RS256).
    public let algorithm: JWSAlgorithm
    /// Whether ``algorithm`` came from the JWK's own `alg` member.
    public let algorithmIsDeclared: Bool
    /// `use`, if present.
    public let use: String?
    /// `key_ops`, if present.
    public let keyOperations: [String]?
    /// The per-key `issuer` member some key sets carry (Microsoft's common endpoint does).
    public let issuer: String?
    /// The validity period of the key's `x5c` certificate, if it has one.
    public let certificateValidity: CertificateValidity?
    /// The public key.
    public let publicKey: JWSPublicKey
    /// The RFC 7638 SHA-256 thumbprint, base64url.
    public let thumbprint: String
    /// Why this key may not verify signatures (`use` or `key_ops` say otherwise), or `nil`.
    public let verificationRestriction: String?
    /// Whether the imported JSON also carried private key members (they are never kept here).
    public let containedPrivateKeyMembers: Bool
    /// The public members, suitable for publishing in a JWKS.
    public let publicJSON: JSONObject

    init(
        keyType: KeyType, keyID: String?, algorithm: JWSAlgorithm, algorithmIsDeclared: Bool,
        use: String?, keyOperations: [String]?, issuer: String?, certificateValidity: CertificateValidity?,
        publicKey: JWSPublicKey, thumbprint: String, verificationRestriction: String?,
        containedPrivateKeyMembers: Bool, publicJSON: JSONObject
    ) {
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

/// The validity period of a key's X.509 certificate (`x5c`, RFC 7517 §4.7).
public struct CertificateValidity: Sendable, Equatable {
    /// The certificate's notBefore.
    public let notBefore: Date
    /// The certificate's notAfter.
    public let notAfter: Date
    /// The certificate's subject, for messages.
    public let subject: String

    /// Whether `date` lies inside the period.
    public func contains(_ date: Date) -> Bool { date >= notBefore && date <= notAfter }
}
