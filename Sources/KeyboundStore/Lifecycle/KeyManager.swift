import Foundation
import Keybound

/// Issuers and their keys through the whole lifecycle, over any ``KeyStore``.
///
/// Every change happens in one exclusive transaction that re-reads the state, applies the
/// ``RotationEngine`` plan and checks the invariants before committing, so concurrent processes and
/// crashes can never leave two active keys or lose a key.
public struct KeyManager: Sendable {
    /// The store.
    public let store: any KeyStore
    /// Seals and opens private keys.
    public let sealer: KeySealer
    /// The custodian of the issuers whose keys are in ``KeyCustody/pkcs11`` custody, if this
    /// process has one (a PKCS#11 token). Without it, such an issuer's keys can be neither made
    /// nor used: ``StoreErrorCode/custodyUnavailable``.
    public let custodian: (any KeyGeneratingCustodian)?
    /// Keys made for the next write transaction before it opened (see ``PreparedKeys``); set on
    /// the copy of the manager that runs that transaction.
    var prepared: PreparedKeys?

    static let kekFingerprintName = "kek_fingerprint"

    /// A manager over `store` with `kek`, and `custodian` for the issuers in PKCS#11 custody.
    /// Throws ``StoreErrorCode/wrongKEK`` if the store's keys were sealed under another KEK;
    /// nothing is changed then.
    public init(store: any KeyStore, kek: KeyEncryptionKey, custodian: (any KeyGeneratingCustodian)? = nil) async throws(StoreError) {
        self.store = store
        self.sealer = KeySealer(kek: kek)
        self.custodian = custodian
        let fingerprint = kek.fingerprint
        let problem: String? = try await Self.storeCall {
            try await store.read { session in
                if let mismatch = try await Self.kekMismatch(session, fingerprint: fingerprint) { return mismatch }
                if let other = try await session.keys(issuerID: nil).first(where: { $0.custody == .software && $0.kekFingerprint != fingerprint }) {
                    return "key '\(other.keyID)' is sealed under key-encryption key \(other.kekFingerprint), not the one given (\(fingerprint))"
                }
                return nil
            }
        }
        if let problem { throw StoreError(.wrongKEK, problem + "; nothing was changed") }
    }

    /// Whether `store` holds any sealed key (a development KEK may be generated only if not).
    public static func storeHasSealedKeys(_ store: any KeyStore) async throws(StoreError) -> Bool {
        try await storeCall { try await store.read { try await !$0.keys(issuerID: nil).isEmpty } }
    }

    // MARK: Issuers

    /// Creates an issuer and its initial keys, one per purpose (``KeyPurpose``), active at once.
    @discardableResult
    public func createIssuer(_ issuer: IssuerRecord, actor: String = "admin") async throws(StoreError) -> [KeyTransition] {
        if issuer.kind.hasGeneratedTenantID, issuer.tenantID != nil {
            throw StoreError(.invalidIssuer, issuer.kind == .consumer ? "a consumer realm's tenant id is generated, not configured"
                                : "the operator issuer's tenant id is generated, not configured")
        }
        try issuer.validate()
        // The cheap refusals first, so that a create that cannot succeed makes no keys (the
        // transaction checks again: another process may create the issuer in between).
        try await read { session in try await Self.refuseTaken(issuer, existing: try await session.issuers()) }
        let manager = await preparing(KeyPurpose.allCases.map { (issuer, $0) })
        return try await manager.write { session in
            var issuer = issuer
            let existing = try await session.issuers()
            try Self.refuseTaken(issuer, existing: existing)
            let taken = Set(existing.compactMap(\.tenantID).map(ExactString.init))
            if issuer.tenantID == nil {
                issuer.tenantID = issuer.kind == .consumer ? IssuerRecord.generatedConsumerTenantID(taken: taken) : UUID().uuidString.lowercased()
            }
            if let tenantID = issuer.tenantID, taken.contains(ExactString(tenantID)) {
                let other = existing.first { $0.tenantID.map { $0.isExactly(tenantID) } ?? false }?.id ?? "?"
                throw StoreError(.issuerExists, "issuer '\(other)' already has the tenant id '\(tenantID)'; every issuer's tid is its own")
            }
            try await session.insert(issuer)
            // Its first keys, or nothing: an issuer whose token cannot make them is not created.
            return try await manager.applyPlan(session, now: issuer.createdAt, actor: actor, deferring: false)
        }
    }

    /// Refuses `issuer` when its id or URL (by exact bytes) is already one of `existing`'s.
    private static func refuseTaken(_ issuer: IssuerRecord, existing: [IssuerRecord]) throws(StoreError) {
        if existing.contains(where: { $0.id.isExactly(issuer.id) }) {
            throw StoreError(.issuerExists, "issuer '\(issuer.id)' already exists")
        }
        if issuer.kind == .operator, let other = existing.first(where: { $0.kind == .operator }) {
            throw StoreError(.issuerExists, "issuer '\(other.id)' is already this store's operator issuer; a store has one")
        }
        if let other = existing.first(where: { $0.url.isExactly(issuer.url) }) {
            throw StoreError(.issuerExists, "issuer '\(other.id)' already has the URL '\(issuer.url)'")
        }
    }

    /// All issuers, by id.
    public func issuers() async throws(StoreError) -> [IssuerRecord] {
        try await read { try await $0.issuers() }
    }

    /// One issuer, or ``StoreErrorCode/issuerNotFound``.
    public func issuer(id: String) async throws(StoreError) -> IssuerRecord {
        try await read { session in
            guard let issuer = try await session.issuer(id: id) else { throw StoreError(.issuerNotFound, "no issuer '\(id)'") }
            return issuer
        }
    }

    /// The keys of one issuer (or all), oldest first, in every state.
    public func keys(issuerID: String? = nil) async throws(StoreError) -> [KeyRecord] {
        try await read { session in
            if let issuerID, try await session.issuer(id: issuerID) == nil { throw StoreError(.issuerNotFound, "no issuer '\(issuerID)'") }
            return try await session.keys(issuerID: issuerID)
        }
    }

    /// A counter that moves whenever this process changes the key store (see ``KeyStore/localWriteCount``).
    public var localChangeCount: Int { store.localWriteCount }

    /// Reads one row from the key store: throws when the store cannot be read (readiness checks).
    public func probeStore() async throws(StoreError) {
        _ = try await latestEvent()
    }

    /// The most recent key event.
    public func latestEvent() async throws(StoreError) -> KeyEvent? {
        try await read { try await $0.latestEvent() }
    }

    /// Key events after `sequence`, oldest first.
    public func events(after sequence: Int64 = 0, limit: Int = 1_000) async throws(StoreError) -> [KeyEvent] {
        try await read { try await $0.events(after: sequence, limit: limit) }
    }

    // MARK: Lifecycle

    /// Applies every transition due at `now` (the scheduled rotation). Idempotent.
    @discardableResult
    public func tick(now: Date, actor: String = "engine") async throws(StoreError) -> [KeyTransition] {
        let manager = await preparing(try await keysThePlanMakes(now: now))
        let applied = try await manager.write { session in try await manager.applyPlan(session, now: now, actor: actor) }
        _ = try? await destroyWithdrawnPrivateKeys(now: now)
        return applied
    }

    /// Starts a rotation on demand, of the `purposes` given (every purpose by default): the next
    /// key of each is published now (if not already) and takes over once it has been published for
    /// the lead time.
    @discardableResult
    public func rotate(issuerID: String, purposes: Set<KeyPurpose> = Set(KeyPurpose.allCases), now: Date,
                       actor: String = "admin") async throws(StoreError) -> [KeyTransition] {
        let manager = await preparing(try await keysARotationMakes(issuerID: issuerID, purposes: purposes))
        return try await manager.write { session in
            guard let issuer = try await session.issuer(id: issuerID) else { throw StoreError(.issuerNotFound, "no issuer '\(issuerID)'") }
            for purpose in purposes.sorted() {
                let keys = try await session.keys(issuerID: issuerID).filter { $0.purpose == purpose }
                if var pending = keys.first(where: { $0.state == .pending }) {
                    pending.scheduledActivation = max(pending.createdAt.addingTimeInterval(issuer.publishLeadTime), now)
                    try await session.update(pending)
                } else if keys.contains(where: { $0.state == .active }) {
                    try await manager.publish(issuer, purpose: purpose, session: session, now: now,
                                activateAt: now.addingTimeInterval(issuer.publishLeadTime), actor: actor, reason: "rotation requested")
                }
            }
            return try await manager.applyPlan(session, now: now, actor: actor)
        }
    }

    /// Revokes a key at once. If it was the active key of its purpose, a fresh key of the same
    /// purpose is activated immediately (recorded as an emergency). Revoking a revoked key changes nothing.
    @discardableResult
    public func revoke(issuerID: String, keyID: String, reason: String, actor: String, now: Date) async throws(StoreError) -> KeyRecord {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw StoreError(.invalidIssuer, "a revocation needs a reason")
        }
        let manager = await preparing(try await keysARevocationMakes(issuerID: issuerID, keyID: keyID))
        let revoked = try await manager.write { session in
            guard let issuer = try await session.issuer(id: issuerID) else { throw StoreError(.issuerNotFound, "no issuer '\(issuerID)'") }
            guard var key = try await session.key(issuerID: issuerID, keyID: keyID) else {
                throw StoreError(.keyNotFound, "issuer '\(issuerID)' has no key '\(keyID)'")
            }
            if key.state == .revoked { return key }
            let wasActive = key.state == .active
            key.state = .revoked
            key.revokedAt = now
            key.revocationReason = reason
            key.revokedBy = actor
            if wasActive { key.deactivatedAt = now }
            try await session.update(key)
            try await session.appendEvent(issuerID: issuerID, keyID: keyID, kind: .revoked, at: now, actor: actor, reason: reason)
            if wasActive {
                let emergency = "revocation of key '\(keyID)': \(reason)"
                if let pending = try await session.keys(issuerID: issuerID).first(where: { $0.state == .pending && $0.purpose == key.purpose }) {
                    try await manager.promote(pending, issuer: issuer, session: session, now: now, actor: actor, emergencyReason: emergency)
                } else {
                    do {
                        try await manager.createActive(issuer, purpose: key.purpose, session: session, now: now, actor: actor,
                                                       emergencyReason: emergency, isInitial: false)
                    } catch let error as StoreError where error.code == .custodyUnavailable {
                        // The issuer's token is away: the revocation stands without a successor,
                        // and the issuer signs nothing until a tick makes one with the token back.
                        try await manager.checkInvariants(session)
                        return key
                    }
                }
            }
            _ = try await manager.applyPlan(session, now: now, actor: actor)
            return key
        }
        if revoked.custody == .pkcs11, let destroyed = try? await destroyWithdrawnPrivateKeys(now: now),
           let record = destroyed.first(where: { $0.keyID.isExactly(keyID) && $0.issuerID.isExactly(issuerID) }) {
            return record
        }
        return revoked
    }

    /// Re-seals every private key, and every ``SealedSecret`` (the audit signing key on
    /// PostgreSQL), under `newKEK` in one transaction. Returns how many were re-sealed.
    /// After it, this manager's KEK no longer opens the store: use the new one.
    public func rotateKEK(to newKEK: KeyEncryptionKey, now: Date, actor: String = "admin") async throws(StoreError) -> Int {
        let newSealer = KeySealer(kek: newKEK)
        return try await write { session in
            var count = 0
            for var key in try await session.keys(issuerID: nil) where key.custody == .software {
                let opened = try await sealer.open(key.sealedPrivateKey, issuerID: key.issuerID, keyID: key.keyID)
                key.sealedPrivateKey = try await newSealer.seal(opened, issuerID: key.issuerID)
                key.kekFingerprint = newKEK.fingerprint
                try await session.update(key)
                try await session.appendEvent(issuerID: key.issuerID, keyID: key.keyID, kind: .resealed, at: now, actor: actor,
                                        reason: "re-sealed under key-encryption key \(newKEK.fingerprint)")
                count += 1
            }
            count += try await resealSecrets(session, to: newSealer)
            try await session.setMetadata(Self.kekFingerprintName, newKEK.fingerprint)
            return count
        }
    }

    /// The active signing key of an issuer for `purpose` (access tokens by default), unsealed.
    /// For an issuer in PKCS#11 custody, whose private keys never leave the token, use ``signer(issuerID:purpose:)``.
    public func signingKey(issuerID: String, purpose: KeyPurpose = .accessToken) async throws(StoreError) -> SigningKey {
        let (issuer, record) = try await activeKey(issuerID: issuerID, purpose: purpose)
        guard record.custody == .software else {
            throw StoreError(.invalidIssuer, "issuer '\(issuerID)''s keys are in \(record.custody.rawValue) custody: they sign inside the token")
        }
        return try await unsealed(record, issuer: issuer)
    }

    /// The signer of an issuer's active key for `purpose`, whatever its custody: for software
    /// custody the key unsealed into locked memory (``LockedSigningKey``), rebuilt for each
    /// signature; for PKCS#11 the key's handle and this manager's ``custodian``.
    public func signer(issuerID: String, purpose: KeyPurpose = .accessToken) async throws(StoreError) -> TokenSigner {
        let (issuer, record) = try await activeKey(issuerID: issuerID, purpose: purpose)
        switch record.custody {
        case .software:
            let handle = try Self.handle(of: record, issuer: issuer)
            let locked = try await sealer.openLocked(record.sealedPrivateKey, issuerID: record.issuerID, handle: handle)
            return TokenSigner(key: handle, custodian: locked)
        case .pkcs11:
            let custodian = try requireCustodian(for: issuer)
            return TokenSigner(key: try Self.handle(of: record, issuer: issuer), custodian: custodian)
        }
    }

    private func activeKey(issuerID: String, purpose: KeyPurpose) async throws(StoreError) -> (IssuerRecord, KeyRecord) {
        try await read { session in
            guard let issuer = try await session.issuer(id: issuerID) else { throw StoreError(.issuerNotFound, "no issuer '\(issuerID)'") }
            guard let active = try await session.keys(issuerID: issuerID).first(where: { $0.state == .active && $0.purpose == purpose }) else {
                if issuer.custody == .pkcs11 {
                    // Its key was revoked while its token was away: expected, and over once a tick runs with the token back.
                    throw StoreError(.custodyUnavailable, "issuer '\(issuerID)' has no active \(purpose.keyName): its token could not make a successor yet")
                }
                throw StoreError(.noActiveKey, "issuer '\(issuerID)' has no active \(purpose.keyName) (the next rotation tick creates one)")
            }
            return (issuer, active)
        }
    }

    /// This manager's custodian, or ``StoreErrorCode/custodyUnavailable`` naming `issuer`.
    func requireCustodian(for issuer: IssuerRecord) throws(StoreError) -> any KeyGeneratingCustodian {
        guard let custodian else {
            throw StoreError(.custodyUnavailable, "issuer '\(issuer.id)' keeps its keys in a PKCS#11 token, and none is configured (KEYBOUND_PKCS11_MODULE)")
        }
        return custodian
    }

    /// The handle of a PKCS#11 key, from its published public JWK, checked against its issuer.
    static func handle(of record: KeyRecord, issuer: IssuerRecord) throws(StoreError) -> SigningKeyHandle {
        do {
            let jwk = try JWK(json: Array(record.publicJWK.utf8))
            guard let bound = jwk.issuer, bound.isExactly(issuer.url) else {
                throw StoreError(.invariantViolated, "key '\(record.keyID)' is not bound to issuer '\(issuer.id)' (\(issuer.url))")
            }
            return try SigningKeyHandle(publicKey: jwk.publicKey, keyID: record.keyID, algorithm: record.algorithm, issuer: issuer.url)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.storage, "key '\(record.keyID)' of issuer '\(issuer.id)' has an unreadable public JWK: \(error)")
        }
    }

    private func unsealed(_ record: KeyRecord, issuer: IssuerRecord) async throws(StoreError) -> SigningKey {
        let key = try await sealer.open(record.sealedPrivateKey, issuerID: record.issuerID, keyID: record.keyID)
        guard key.issuer == issuer.url else {
            throw StoreError(.invariantViolated, "key '\(record.keyID)' is bound to '\(key.issuer)', not to issuer '\(issuer.id)' (\(issuer.url))")
        }
        return key
    }

    // MARK: Transactions

    func read<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws(StoreError) -> T {
        try await Self.storeCall { try await store.read(body) }
    }

    /// Why the store's recorded KEK is not the one with `fingerprint`, or `nil` if it is (or none is recorded yet).
    static func kekMismatch(_ session: any KeyStoreSession, fingerprint: String) async throws -> String? {
        guard let stored = try await session.metadata(kekFingerprintName), stored != fingerprint else { return nil }
        return "the store's keys are sealed under key-encryption key \(stored), not the one given (\(fingerprint))"
    }

    /// Every write first checks, inside its transaction, that the store's keys are sealed under
    /// this manager's KEK: a second process with another KEK cannot mix KEKs in one store.
    func write<T: Sendable>(_ body: @escaping @Sendable (any KeyStoreSession) async throws -> T) async throws(StoreError) -> T {
        let fingerprint = sealer.kek.fingerprint
        return try await Self.storeCall {
            try await store.write { session in
                if let mismatch = try await Self.kekMismatch(session, fingerprint: fingerprint) {
                    throw StoreError(.wrongKEK, mismatch + "; nothing was changed")
                }
                return try await body(session)
            }
        }
    }

    static func storeCall<T>(_ body: () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.storage, "storage failed: \(error)")
        }
    }
}
