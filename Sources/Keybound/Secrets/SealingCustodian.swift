/// Holds a key-encryption key that never enters this process, and seals and opens with it:
/// `KeyboundPKCS11`'s `PKCS11KEK`, an AES-256 key inside a PKCS#11 token that will not export it.
///
/// Its sealed form is that of a KEK held in memory (swift-crypto's `AES.GCM.SealedBox.combined`:
/// a 12-byte nonce, the ciphertext, a 16-byte tag), so a store can move between the two by
/// re-sealing (`keybound kek rotate`).
package protocol SealingCustodian: Sendable {
    /// A stable, non-secret identifier of the key; the store records it beside each sealed key.
    var fingerprint: String { get }
    /// AES-256-GCM of `plaintext` under a fresh random nonce, with `associatedData`:
    /// nonce ‖ ciphertext ‖ tag. ``SigningError/isUnavailable`` when the token cannot answer now.
    func seal(_ plaintext: LockedBytes, authenticating associatedData: [UInt8]) async throws(SigningError) -> [UInt8]
    /// Opens what ``seal(_:authenticating:)`` made, straight into locked memory. Throws when the
    /// tag does not verify (another key, other associated data, altered bytes), and with
    /// ``SigningError/isUnavailable`` when the token cannot answer now.
    func open(_ sealed: [UInt8], authenticating associatedData: [UInt8]) async throws(SigningError) -> LockedBytes
}
