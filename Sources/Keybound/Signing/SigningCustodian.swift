/// Holds private signing keys and signs with them, so that the code minting tokens needs only a
/// ``SigningKeyHandle``.
///
/// Keybound has two: software custody (``SoftwareCustodian``, keys unsealed into this process)
/// and PKCS#11 custody (`KeyboundPKCS11`, keys generated and used inside a token that will not
/// export them). A custodian may block on a device, so signing is asynchronous; an implementation
/// that talks to hardware does so on threads of its own, never on the caller's.
public protocol SigningCustodian: Sendable {
    /// The raw JWS signature of `signingInput` under the key `key` names: r ‖ s for ECDSA, the
    /// 64-byte signature for EdDSA, the modulus-sized signature for RS256 and PS256.
    ///
    /// Throws ``SigningError`` when the custodian does not hold that key, or cannot sign now
    /// (``SigningError/isUnavailable`` is then true, and the caller should answer 503 and retry later).
    func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8]
}

/// Software custody: keys held as ``SigningKey`` values in this process's memory.
public struct SoftwareCustodian: SigningCustodian {
    private let keys: [SigningKeyHandle: SigningKey]

    /// A custodian of `keys`.
    public init(keys: [SigningKey]) {
        self.keys = Dictionary(keys.map { ($0.handle, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
        guard let signingKey = keys[key] else { throw SigningError("this custodian holds no key '\(key.keyID)' of issuer '\(key.issuer)'") }
        return try signingKey.signature(for: signingInput)
    }
}

/// A custodian that also makes and destroys keys: what the key store's manager needs for the issuers
/// whose keys live in a token. `KeyboundPKCS11`'s custodian is one.
public protocol KeyGeneratingCustodian: SigningCustodian {
    /// Generates a key pair of `algorithm` for `issuer` inside the custodian; the `kid` is the RFC 7638
    /// thumbprint of its public half.
    func generateKey(algorithm: JWSAlgorithm, issuer: String) async throws(SigningError) -> SigningKeyHandle
    /// Destroys the private half of `issuer`'s key `keyID`, so that it never signs again; `false`
    /// when it was already gone.
    func destroyPrivateKey(issuer: String, keyID: String) async throws(SigningError) -> Bool
}
