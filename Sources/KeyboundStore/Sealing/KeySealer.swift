import Crypto
import Foundation
import Keybound

/// Seals private keys with AES-256-GCM under the KEK: a fresh nonce each time, and the issuer and
/// `kid` as authenticated data, so a sealed key cannot be moved to another issuer or key row.
public struct KeySealer: Sendable {
    /// The KEK in use.
    public let kek: KeyEncryptionKey

    /// A sealer for `kek`.
    public init(kek: KeyEncryptionKey) { self.kek = kek }

    /// Seals a signing key's private JWK.
    public func seal(_ key: SigningKey, issuerID: String) throws(StoreError) -> [UInt8] {
        let plaintext = JSONWriter().bytes(.object(key.exportPrivateJWK()))
        do {
            let box = try AES.GCM.seal(plaintext, using: kek.key, authenticating: Self.associatedData(issuerID: issuerID, keyID: key.keyID))
            guard let combined = box.combined else { throw StoreError(.storage, "sealing produced no output") }
            return Array(combined)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.storage, "sealing failed")
        }
    }

    /// Opens a sealed key of `issuerID`/`keyID` and imports it as a signing key.
    public func open(_ sealed: [UInt8], issuerID: String, keyID: String) throws(StoreError) -> SigningKey {
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            plaintext = try AES.GCM.open(box, using: kek.key, authenticating: Self.associatedData(issuerID: issuerID, keyID: keyID))
        } catch {
            throw StoreError(.wrongKEK, "key '\(keyID)' of issuer '\(issuerID)' could not be unsealed: wrong key-encryption key or altered data")
        }
        let key: SigningKey
        do {
            key = try SigningKey(privateJWK: Array(plaintext))
        } catch {
            throw StoreError(.storage, "key '\(keyID)' unsealed but is not a valid signing key")
        }
        guard key.keyID == keyID else {
            throw StoreError(.invariantViolated, "sealed key '\(keyID)' holds a key with another kid")
        }
        return key
    }

    /// Opens a sealed key of `issuerID` straight into locked memory, for the key `handle` names:
    /// software custody's signing path. The decryption and the parse run on ``SecretWorkers``
    /// threads; the decrypted JWK is read in place and wiped, and never becomes a `String`.
    package func openLocked(_ sealed: [UInt8], issuerID: String, handle: SigningKeyHandle) async throws(StoreError) -> LockedSigningKey {
        try await SecretWorkers.shared.run { () throws(StoreError) -> LockedSigningKey in
            var plaintext: Data
            do {
                let box = try AES.GCM.SealedBox(combined: sealed)
                plaintext = try AES.GCM.open(box, using: kek.key, authenticating: Self.associatedData(issuerID: issuerID, keyID: handle.keyID))
            } catch {
                throw StoreError(.wrongKEK, "key '\(handle.keyID)' of issuer '\(issuerID)' could not be unsealed: wrong key-encryption key or altered data")
            }
            defer { plaintext.withUnsafeMutableBytes { LockedBytes.wipe($0) } }
            do {
                return try plaintext.withUnsafeBytes { bytes throws(KeyImportError) in try LockedSigningKey(privateJWK: bytes, handle: handle) }
            } catch {
                throw StoreError(.storage, "key '\(handle.keyID)' of issuer '\(issuerID)' unsealed but is not that key (\(error))")
            }
        }
    }

    /// Length-prefixed, so no two (issuer, kid) pairs share associated data.
    static func associatedData(issuerID: String, keyID: String) -> [UInt8] {
        var bytes = Array("keybound-sealed-key-v1".utf8)
        for part in [issuerID, keyID] {
            let utf8 = Array(part.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
        }
        return bytes
    }
}
