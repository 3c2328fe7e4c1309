import Crypto
import Foundation
import Keybound

/// A secret other than a signing key that the key store keeps sealed under the KEK, one per
/// store, so every node that opens the store finds the same one: today the audit log's signing
/// key on PostgreSQL. ``KeyManager/rotateKEK(to:now:actor:)`` re-seals them with the keys.
public enum SealedSecret: String, Sendable, CaseIterable {
    /// The Ed25519 private key (32 bytes) that signs the audit log's checkpoints.
    case auditSigningKey = "audit-signing-key"

    /// The key-store metadata entry holding it (base64 of the sealed box).
    var metadataName: String { "sealed-secret:" + rawValue }
}

extension KeySealer {
    /// Seals `secret` as ``SealedSecret`` `name`: AES-256-GCM under the KEK, with the name as
    /// authenticated data, so a sealed secret cannot be moved to another name or to a signing key.
    func seal(_ secret: [UInt8], as name: SealedSecret) async throws(StoreError) -> [UInt8] {
        try await kek.seal(secret.withUnsafeBytes { LockedBytes(copying: $0) }, authenticating: Self.associatedData(name))
    }

    /// Opens the sealed secret `name`.
    func open(_ sealed: [UInt8], as name: SealedSecret) async throws(StoreError) -> [UInt8] {
        try await kek.open(sealed, authenticating: Self.associatedData(name), describe: { "the \(name.rawValue)" }) { bytes throws(StoreError) in Array(bytes) }
    }

    static func associatedData(_ name: SealedSecret) -> [UInt8] {
        Array("keybound-sealed-secret-v1".utf8) + [0] + Array(name.rawValue.utf8)
    }
}

extension KeyManager {
    /// The sealed secret `name`, unsealed; a store without one first gets `make()`'s, sealed, in
    /// a write transaction (serialised across nodes), so every node ends up with the same secret.
    /// A secret this KEK cannot open is ``StoreErrorCode/wrongKEK``, never replaced.
    public func sealedSecret(_ name: SealedSecret, orCreate make: @escaping @Sendable () -> [UInt8]) async throws(StoreError) -> [UInt8] {
        if let sealed = try await read({ session in try await session.metadata(name.metadataName) }) {
            return try await sealer.open(try Self.decodeSealed(sealed, name), as: name)
        }
        let sealer = sealer
        let stored: String = try await write { session in
            if let existing = try await session.metadata(name.metadataName) { return existing }
            let text = Data(try await sealer.seal(make(), as: name)).base64EncodedString()
            try await session.setMetadata(name.metadataName, text)
            return text
        }
        return try await sealer.open(try Self.decodeSealed(stored, name), as: name)
    }

    /// Re-seals every sealed secret of the store under `newSealer`, inside `session`; how many.
    func resealSecrets(_ session: any KeyStoreSession, to newSealer: KeySealer) async throws -> Int {
        var count = 0
        for name in SealedSecret.allCases {
            guard let text = try await session.metadata(name.metadataName) else { continue }
            let secret = try await sealer.open(try Self.decodeSealed(text, name), as: name)
            try await session.setMetadata(name.metadataName, Data(try await newSealer.seal(secret, as: name)).base64EncodedString())
            count += 1
        }
        return count
    }

    static func decodeSealed(_ text: String, _ name: SealedSecret) throws(StoreError) -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw StoreError(.invariantViolated, "the stored \(name.rawValue) is not base64")
        }
        return Array(data)
    }
}
