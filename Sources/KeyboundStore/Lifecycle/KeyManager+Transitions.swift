import Foundation
import Keybound

extension KeyManager {
    /// Applies the engine's plan until nothing more is due, then checks the invariants; a
    /// violation throws, which rolls the whole transaction back.
    ///
    /// A transition of an issuer in PKCS#11 custody whose token cannot make a key now is left for
    /// a later tick (it writes nothing before the token has made the key), so one issuer's token
    /// never holds back another issuer's rotation or revocation.
    /// `deferring: false` (an issuer's creation) lets such a failure roll everything back instead.
    func applyPlan(_ session: any KeyStoreSession, now: Date, actor: String, deferring: Bool = true) async throws -> [KeyTransition] {
        var applied: [KeyTransition] = []
        var deferred = Set<ExactString>()
        for _ in 0..<8 {
            let plan = RotationEngine.plan(now: now, issuers: try await session.issuers(), keys: try await session.keys(issuerID: nil))
                .filter { !deferred.contains(ExactString($0.issuerID)) }
            if plan.isEmpty { break }
            for transition in plan where !deferred.contains(ExactString(transition.issuerID)) {
                do {
                    try await apply(transition, session: session, now: now, actor: actor)
                    applied.append(transition)
                } catch let error as StoreError where deferring && error.code == .custodyUnavailable {
                    deferred.insert(ExactString(transition.issuerID))
                }
            }
        }
        try await checkInvariants(session)
        return applied
    }

    func apply(_ transition: KeyTransition, session: any KeyStoreSession, now: Date, actor: String) async throws {
        guard let issuer = try await session.issuer(id: transition.issuerID) else {
            throw StoreError(.issuerNotFound, "no issuer '\(transition.issuerID)'")
        }
        let purpose = transition.purpose
        switch transition {
        case .createInitialKey:
            try await createActive(issuer, purpose: purpose, session: session, now: now, actor: actor, emergencyReason: nil, isInitial: true)
        case .publishNextKey(_, let activateAt, _):
            try await publish(issuer, purpose: purpose, session: session, now: now, activateAt: activateAt, actor: actor, reason: "scheduled rotation")
        case .activate(_, let keyID, let emergencyReason, _):
            guard let pending = try await session.key(issuerID: issuer.id, keyID: keyID), pending.state == .pending, pending.purpose == purpose else {
                throw StoreError(.invariantViolated, "key '\(keyID)' is not a pending \(purpose.keyName)")
            }
            try await promote(pending, issuer: issuer, session: session, now: now, actor: actor, emergencyReason: emergencyReason)
        case .activateFreshKey(_, let emergencyReason, _):
            try await createActive(issuer, purpose: purpose, session: session, now: now, actor: actor, emergencyReason: emergencyReason, isInitial: false)
        case .retire(_, let keyID, _):
            guard var key = try await session.key(issuerID: issuer.id, keyID: keyID), key.state == .verifyOnly else { return }
            key.state = .retired
            key.retiredAt = now
            try await session.update(key)
            try await session.appendEvent(issuerID: issuer.id, keyID: keyID, kind: .retired, at: now, actor: actor,
                                    reason: "every token it can have signed has expired")
        }
    }

    /// A new key of `purpose`, sealed, published as pending.
    func publish(_ issuer: IssuerRecord, purpose: KeyPurpose, session: any KeyStoreSession, now: Date, activateAt: Date,
                 actor: String, reason: String) async throws {
        var record = try await newKeyRecord(issuer, purpose: purpose, session: session, now: now)
        record.scheduledActivation = activateAt
        try await session.insert(record)
        try await session.appendEvent(issuerID: issuer.id, keyID: record.keyID, kind: .created, at: now, actor: actor,
                                reason: "\(reason): \(purpose.keyName) published as pending, signs from \(activateAt.formatted(.iso8601))")
    }

    /// The current active key of `pending`'s purpose (if any) becomes verify-only, then `pending` becomes active.
    func promote(_ pending: KeyRecord, issuer: IssuerRecord, session: any KeyStoreSession, now: Date, actor: String, emergencyReason: String?) async throws {
        try await demoteActive(issuer, purpose: pending.purpose, session: session, now: now, actor: actor)
        var key = pending
        key.state = .active
        key.activatedAt = now
        key.emergencyReason = emergencyReason
        try await session.update(key)
        try await session.appendEvent(issuerID: issuer.id, keyID: key.keyID, kind: .activated, at: now, actor: actor,
                                reason: emergencyReason.map { "emergency activation: \($0)" } ?? "scheduled rotation")
    }

    /// A new key of `purpose`, active at once: the issuer's initial key of that purpose, or an
    /// emergency replacement.
    func createActive(_ issuer: IssuerRecord, purpose: KeyPurpose, session: any KeyStoreSession, now: Date, actor: String,
                      emergencyReason: String?, isInitial: Bool) async throws {
        // The key first: when a token cannot make it, nothing has been written.
        var record = try await newKeyRecord(issuer, purpose: purpose, session: session, now: now)
        try await demoteActive(issuer, purpose: purpose, session: session, now: now, actor: actor)
        record.state = .active
        record.activatedAt = now
        record.isInitial = isInitial
        record.emergencyReason = emergencyReason
        try await session.insert(record)
        try await session.appendEvent(issuerID: issuer.id, keyID: record.keyID, kind: .created, at: now, actor: actor,
                                reason: isInitial ? "initial \(purpose.keyName)" : "replacement \(purpose.keyName)")
        try await session.appendEvent(issuerID: issuer.id, keyID: record.keyID, kind: .activated, at: now, actor: actor,
                                reason: isInitial ? "initial \(purpose.keyName): nothing to overlap with" : "emergency activation: \(emergencyReason ?? "")")
    }

    func demoteActive(_ issuer: IssuerRecord, purpose: KeyPurpose, session: any KeyStoreSession, now: Date, actor: String) async throws {
        guard var active = try await session.keys(issuerID: issuer.id).first(where: { $0.state == .active && $0.purpose == purpose }) else { return }
        active.state = .verifyOnly
        active.deactivatedAt = now
        active.verifyUntil = RotationEngine.verifyUntil(deactivatedAt: now, issuer: issuer)
        try await session.update(active)
        try await session.appendEvent(issuerID: issuer.id, keyID: active.keyID, kind: .verifyOnly, at: now, actor: actor,
                                reason: "stopped signing; verifies until \(active.verifyUntil!.formatted(.iso8601))")
    }

    /// A new key of `purpose` for `issuer`, in the issuer's custody: prepared before the
    /// transaction (``PreparedKeys``) or generated and sealed here, or
    /// generated inside the PKCS#11 token (a key the transaction then does not commit stays in the
    /// token unused; its `CKA_ID` names an issuer and a `kid` no record has).
    func newKeyRecord(_ issuer: IssuerRecord, purpose: KeyPurpose, session: any KeyStoreSession, now: Date) async throws -> KeyRecord {
        let algorithm = purpose.algorithm(of: issuer)
        if issuer.custody == .pkcs11 {
            let custodian = try requireCustodian(for: issuer)
            let handle: SigningKeyHandle
            do {
                handle = try await custodian.generateKey(algorithm: algorithm, issuer: issuer.url)
            } catch {
                throw StoreError(.custodyUnavailable, "issuer '\(issuer.id)': the PKCS#11 token did not generate a \(algorithm.rawValue) key: \(error.description)")
            }
            return KeyRecord(issuerID: issuer.id, keyID: handle.keyID, algorithm: algorithm, purpose: purpose, state: .pending,
                             publicJWK: JSONWriter().string(.object(handle.publicJWK.publicJSON)), sealedPrivateKey: [],
                             kekFingerprint: "", createdAt: now, custody: .pkcs11)
        }
        if try await session.metadata(Self.kekFingerprintName) == nil {
            try await session.setMetadata(Self.kekFingerprintName, sealer.kek.fingerprint)
        }
        // Made before the transaction opened (``PreparedKeys``), or, if the state moved since, here.
        let key: PreparedKeys.Key
        if let ready = prepared?.take(issuer: issuer, purpose: purpose, algorithm: algorithm, kekFingerprint: sealer.kek.fingerprint) {
            key = ready
        } else {
            key = try await makeSoftwareKey(issuer, purpose: purpose)
        }
        return KeyRecord(issuerID: issuer.id, keyID: key.keyID, algorithm: algorithm, purpose: purpose, state: .pending,
                         publicJWK: key.publicJWK, sealedPrivateKey: key.sealedPrivateKey,
                         kekFingerprint: key.kekFingerprint, createdAt: now)
    }

    /// Per (issuer, purpose) that has keys: exactly one active key (at most one for an issuer in
    /// PKCS#11 custody) and at most one pending key; every key signs in its purpose's algorithm.
    func checkInvariants(_ session: any KeyStoreSession) async throws {
        let keys = try await session.keys(issuerID: nil)
        for issuer in try await session.issuers() {
            for key in keys where key.issuerID.isExactly(issuer.id) {
                guard key.custody == issuer.custody, (key.custody == .pkcs11) == key.sealedPrivateKey.isEmpty else {
                    throw StoreError(.invariantViolated, "key '\(key.keyID)' is in \(key.custody.rawValue) custody, its issuer '\(issuer.id)' in \(issuer.custody.rawValue)")
                }
            }
            for purpose in KeyPurpose.allCases {
                let own = keys.filter { $0.issuerID.isExactly(issuer.id) && $0.purpose == purpose }
                guard !own.isEmpty else { continue }
                let active = own.filter { $0.state == .active }
                // A PKCS#11 issuer may be left without an active key by a revocation while its
                // token is away (it then signs nothing); never with two.
                guard active.count == 1 || (active.isEmpty && issuer.custody == .pkcs11) else {
                    throw StoreError(.invariantViolated, "issuer '\(issuer.id)' would have \(active.count) active \(purpose.keyName)s")
                }
                guard own.filter({ $0.state == .pending }).count <= 1 else {
                    throw StoreError(.invariantViolated, "issuer '\(issuer.id)' would have more than one pending \(purpose.keyName)")
                }
                if purpose == .idToken, let first = active.first, first.algorithm != purpose.algorithm(of: issuer) {
                    throw StoreError(.invariantViolated, "issuer '\(issuer.id)''s active \(purpose.keyName) would sign \(first.algorithm.rawValue), not \(purpose.algorithm(of: issuer).rawValue)")
                }
            }
        }
    }
}
