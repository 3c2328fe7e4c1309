/// Who holds an issuer's private signing keys.
public enum KeyCustody: String, Sendable, CaseIterable {
    /// Keybound itself: each private key sealed under the key-encryption key in the store, and
    /// unsealed into the provider's memory to sign.
    case software
    /// A PKCS#11 token (an HSM, or SoftHSM2): keys generated inside it, never exportable, signing
    /// there. The store keeps only the public half.
    case pkcs11
}
