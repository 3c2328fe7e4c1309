import Foundation
import Crypto
import _CryptoExtras

/// A public key that can check JWS signatures; one case per key type Keybound supports.
public enum JWSPublicKey: Sendable {
    /// A P-256 key (ES256).
    case p256(P256.Signing.PublicKey)
    /// A P-384 key (ES384).
    case p384(P384.Signing.PublicKey)
    /// An Ed25519 key (EdDSA).
    case ed25519(Curve25519.Signing.PublicKey)
    /// An RSA key of at least 2048 bits with e = 65537 (RS256 or PS256).
    case rsa(_RSA.Signing.PublicKey)

    /// The algorithms this key type can serve.
    public var compatibleAlgorithms: Set<JWSAlgorithm> {
        switch self {
        case .p256: [.es256]
        case .p384: [.es384]
        case .ed25519: [.edDSA]
        case .rsa: [.rs256, .ps256]
        }
    }

    /// The algorithm a key of this type is bound to when its JWK names none.
    public var defaultAlgorithm: JWSAlgorithm {
        switch self {
        case .p256: .es256
        case .p384: .es384
        case .ed25519: .edDSA
        case .rsa: .rs256
        }
    }

    /// The length of this key's raw JWS signatures in bytes: r ‖ s for ECDSA, 64 for Ed25519, the
    /// modulus length for RSA.
    var signatureLength: Int {
        switch self {
        case .p256: 64
        case .p384: 96
        case .ed25519: 64
        case .rsa(let key): (key.keySizeInBits + 7) / 8
        }
    }

    /// Whether `signature` is a valid `algorithm` signature of `signingInput` under this key.
    ///
    /// Returns `false` (never throws) for a signature of the wrong length or encoding, and for an
    /// algorithm that does not match the key type. ECDSA signatures must be the raw r ‖ s form
    /// of exactly 2 × the coordinate size; DER is refused.
    public func isValidSignature(
        _ signature: some DataProtocol & ContiguousBytes,
        for signingInput: some DataProtocol,
        algorithm: JWSAlgorithm
    ) -> Bool {
        switch (self, algorithm) {
        case (.p256(let key), .es256):
            guard signature.count == 64,
                  let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: signingInput)
        case (.p384(let key), .es384):
            guard signature.count == 96,
                  let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: signingInput)
        case (.ed25519(let key), .edDSA):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: signingInput)
        case (.rsa(let key), .rs256), (.rsa(let key), .ps256):
            guard signature.count == (key.keySizeInBits + 7) / 8 else { return false }
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = algorithm == .rs256 ? .insecurePKCS1v1_5 : .PSS
            return key.isValidSignature(parsed, for: SHA256.hash(data: signingInput), padding: padding)
        default:
            return false
        }
    }
}
