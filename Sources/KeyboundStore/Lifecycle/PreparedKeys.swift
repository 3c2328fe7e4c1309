import Foundation
import Keybound
import Synchronization

/// Software keys made and sealed before a write transaction opens, for the transitions the
/// transaction is expected to apply.
///
/// An RSA key takes tens to hundreds of milliseconds to generate (seconds in a debug build). Made
/// inside the key store's exclusive transaction, it would hold that transaction, and on
/// PostgreSQL every node's key-store writer, for as long. So a change first reads what it will
/// need (one key per (issuer, purpose)), makes those keys outside, then opens the transaction,
/// which takes them. Whatever the transaction finds it needs besides (the state moved between
/// the read and the write) it still makes inside; a prepared key it does not take is dropped,
/// never stored. Keys in PKCS#11 custody are not prepared: a key made in a token and then not
/// used would stay in the token.
final class PreparedKeys: Sendable {
    /// One generated key, sealed, ready for its record.
    struct Key: Sendable {
        let issuerID: String
        /// The issuer URL the key is bound to (``Keybound/SigningKey/issuer``).
        let issuerURL: String
        let purpose: KeyPurpose
        let algorithm: JWSAlgorithm
        let keyID: String
        /// The public JWK, as the record stores it.
        let publicJWK: String
        /// The private JWK sealed under the KEK whose fingerprint is ``kekFingerprint``.
        let sealedPrivateKey: [UInt8]
        let kekFingerprint: String
    }

    private let keys: Mutex<[Key]>

    init(_ keys: [Key]) {
        self.keys = Mutex(keys)
    }

    /// How many keys are left untaken.
    var count: Int { keys.withLock { $0.count } }

    /// Takes the key prepared for `issuer` (its id and URL, by exact bytes), `purpose` and
    /// `algorithm`, sealed under `kekFingerprint`; `nil` when there is none.
    func take(issuer: IssuerRecord, purpose: KeyPurpose, algorithm: JWSAlgorithm, kekFingerprint: String) -> Key? {
        keys.withLock { keys in
            guard let index = keys.firstIndex(where: {
                $0.issuerID.isExactly(issuer.id) && $0.issuerURL.isExactly(issuer.url) && $0.purpose == purpose
                    && $0.algorithm == algorithm && $0.kekFingerprint.isExactly(kekFingerprint)
            }) else { return nil }
            return keys.remove(at: index)
        }
    }
}

extension KeyManager {
    /// This manager with software keys made and sealed now, outside any transaction, one for each
    /// of `needs` whose issuer is in software custody (see ``PreparedKeys``). A key that cannot be
    /// made here is left to the transaction, which then reports the error.
    func preparing(_ needs: [(issuer: IssuerRecord, purpose: KeyPurpose)]) async -> KeyManager {
        var made: [PreparedKeys.Key] = []
        for need in needs where need.issuer.custody == .software {
            guard let key = try? await makeSoftwareKey(need.issuer, purpose: need.purpose) else { continue }
            made.append(key)
        }
        var manager = self
        manager.prepared = PreparedKeys(made)
        return manager
    }

    /// A new software key of `purpose` for `issuer`, generated and sealed under this manager's KEK
    /// (bound to the issuer's id and the key's kid): before a transaction (``preparing(_:)``) or
    /// inside it, when nothing prepared fits.
    func makeSoftwareKey(_ issuer: IssuerRecord, purpose: KeyPurpose) async throws -> PreparedKeys.Key {
        let algorithm = purpose.algorithm(of: issuer)
        let (key, privateJWK) = try await KeyGeneration.generate(algorithm: algorithm, issuer: issuer.url)
        let sealed = try await sealer.seal(privateJWK: privateJWK, issuerID: issuer.id, keyID: key.keyID)
        return PreparedKeys.Key(issuerID: issuer.id, issuerURL: issuer.url, purpose: purpose, algorithm: algorithm, keyID: key.keyID,
                                publicJWK: JSONWriter().string(.object(key.publicJWK.publicJSON)),
                                sealedPrivateKey: sealed, kekFingerprint: sealer.kek.fingerprint)
    }

    /// The (issuer, purpose) pairs for which the rotation engine's plan at `now` makes a key.
    func keysThePlanMakes(now: Date) async throws(StoreError) -> [(issuer: IssuerRecord, purpose: KeyPurpose)] {
        try await read { session in
            let issuers = try await session.issuers()
            let plan = RotationEngine.plan(now: now, issuers: issuers, keys: try await session.keys(issuerID: nil))
            return plan.compactMap { transition -> (issuer: IssuerRecord, purpose: KeyPurpose)? in
                guard transition.makesKey, let issuer = issuers.first(where: { $0.id.isExactly(transition.issuerID) }) else { return nil }
                return (issuer, transition.purpose)
            }
        }
    }
}

extension KeyManager {
    /// The (issuer, purpose) pairs for which ``rotate(issuerID:purposes:now:actor:)`` publishes a
    /// key: each of `purposes` with an active key and no pending one.
    func keysARotationMakes(issuerID: String, purposes: Set<KeyPurpose>) async throws(StoreError) -> [(issuer: IssuerRecord, purpose: KeyPurpose)] {
        try await read { session in
            guard let issuer = try await session.issuer(id: issuerID) else { return [] }
            let keys = try await session.keys(issuerID: issuerID)
            return purposes.sorted().filter { purpose in
                let own = keys.filter { $0.purpose == purpose }
                return !own.contains { $0.state == .pending } && own.contains { $0.state == .active }
            }.map { (issuer, $0) }
        }
    }

    /// The (issuer, purpose) pair for which ``revoke(issuerID:keyID:reason:actor:now:)`` makes an
    /// emergency key: the key's own, when it is active and no key of its purpose is pending.
    func keysARevocationMakes(issuerID: String, keyID: String) async throws(StoreError) -> [(issuer: IssuerRecord, purpose: KeyPurpose)] {
        try await read { session in
            guard let issuer = try await session.issuer(id: issuerID), let key = try await session.key(issuerID: issuerID, keyID: keyID),
                  key.state == .active else { return [] }
            let pending = try await session.keys(issuerID: issuerID).contains { $0.state == .pending && $0.purpose == key.purpose }
            return pending ? [] : [(issuer, key.purpose)]
        }
    }
}

extension KeyTransition {
    /// Whether applying the transition makes a new key.
    var makesKey: Bool {
        switch self {
        case .createInitialKey, .publishNextKey, .activateFreshKey: true
        case .activate, .retire: false
        }
    }
}
