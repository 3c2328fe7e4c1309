import Foundation
import Keybound

/// Seals private keys with AES-256-GCM under the KEK: a fresh nonce each time, and the issuer and
/// `kid` as authenticated data, so a sealed key cannot be moved to another issuer or key row.
///
/// Sealing and opening are asynchronous: a KEK inside a PKCS#11 token seals on the token's own
/// threads, and one in memory on a ``Keybound/SecretWorkers`` thread.
public struct KeySealer: Sendable {
    /// The KEK in use.
    public let kek: KeyEncryptionKey

    /// A sealer for `kek`.
    public init(kek: KeyEncryptionKey) { self.kek = kek }

    /// Seals a signing key's private JWK.
    public func seal(_ key: SigningKey, issuerID: String) async throws(StoreError) -> [UInt8] {
        try await seal(privateJWK: key.lockedPrivateJWK(), issuerID: issuerID, keyID: key.keyID)
    }

    /// Seals the private JWK of `issuerID`'s key `keyID`, already in locked memory.
    func seal(privateJWK: LockedBytes, issuerID: String, keyID: String) async throws(StoreError) -> [UInt8] {
        try await kek.seal(privateJWK, authenticating: Self.associatedData(issuerID: issuerID, keyID: keyID))
    }

    /// Opens a sealed key of `issuerID`/`keyID` and imports it as a signing key (for export and
    /// re-sealing; serving uses ``openLocked(_:issuerID:handle:)``).
    public func open(_ sealed: [UInt8], issuerID: String, keyID: String) async throws(StoreError) -> SigningKey {
        let key = try await kek.open(sealed, authenticating: Self.associatedData(issuerID: issuerID, keyID: keyID),
                                     describe: { "key '\(keyID)' of issuer '\(issuerID)'" }) { bytes throws(StoreError) in
            do {
                return try SigningKey(privateJWK: bytes)
            } catch {
                throw StoreError(.storage, "key '\(keyID)' unsealed but is not a valid signing key")
            }
        }
        guard key.keyID == keyID else {
            throw StoreError(.invariantViolated, "sealed key '\(keyID)' holds a key with another kid")
        }
        return key
    }

    /// Opens a sealed key of `issuerID` straight into locked memory, for the key `handle` names:
    /// software custody's signing path. The decrypted JWK is read in place on a secret worker,
    /// never becomes a `String`, and is wiped before this returns.
    package func openLocked(_ sealed: [UInt8], issuerID: String, handle: SigningKeyHandle) async throws(StoreError) -> LockedSigningKey {
        try await kek.open(sealed, authenticating: Self.associatedData(issuerID: issuerID, keyID: handle.keyID),
                           describe: { "key '\(handle.keyID)' of issuer '\(issuerID)'" }) { bytes throws(StoreError) in
            do {
                return try LockedSigningKey(privateJWK: bytes, handle: handle)
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
