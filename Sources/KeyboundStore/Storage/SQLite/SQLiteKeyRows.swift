import Foundation
internal import GRDB
import Keybound

/// Rows ↔ records for ``SQLiteKeyStore``: the statements of one session step, on the store's connection.
struct SQLiteKeyRows {
    let db: Database

    func issuers() throws -> [IssuerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM issuer ORDER BY id").map(Self.issuer(from:))
    }

    func issuer(id: String) throws -> IssuerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM issuer WHERE id = ?", arguments: [id]).map(Self.issuer(from:))
    }

    func insert(_ issuer: IssuerRecord) throws {
        try db.execute(sql: """
            INSERT INTO issuer (id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time,
                                maximum_token_lifetime, maximum_key_age, created_at, custody)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [issuer.id, issuer.url, issuer.kind.rawValue, issuer.tenantID, issuer.algorithm.rawValue,
                             issuer.rotationPeriod, issuer.publishLeadTime, issuer.maximumTokenLifetime, issuer.maximumKeyAge,
                             issuer.createdAt.timeIntervalSince1970, issuer.custody.rawValue])
    }

    func keys(issuerID: String?) throws -> [KeyRecord] {
        if let issuerID {
            return try Row.fetchAll(db, sql: "SELECT * FROM signing_key WHERE issuer_id = ? ORDER BY created_at, kid", arguments: [issuerID]).map(Self.key(from:))
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM signing_key ORDER BY issuer_id, created_at, kid").map(Self.key(from:))
    }

    func key(issuerID: String, keyID: String) throws -> KeyRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM signing_key WHERE issuer_id = ? AND kid = ?", arguments: [issuerID, keyID]).map(Self.key(from:))
    }

    func insert(_ key: KeyRecord) throws {
        try db.execute(sql: """
            INSERT INTO signing_key (issuer_id, kid, algorithm, state, public_jwk, sealed_private_key, kek_fingerprint,
                created_at, scheduled_activation, activated_at, deactivated_at, verify_until, retired_at, revoked_at,
                revocation_reason, revoked_by, emergency_reason, is_initial, private_destroyed_at, purpose, custody)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: StatementArguments(Self.values(key) + [key.purpose.rawValue, key.custody.rawValue]))
    }

    func update(_ key: KeyRecord) throws {
        try db.execute(sql: """
            UPDATE signing_key SET algorithm = ?, state = ?, public_jwk = ?, sealed_private_key = ?, kek_fingerprint = ?,
                created_at = ?, scheduled_activation = ?, activated_at = ?, deactivated_at = ?, verify_until = ?,
                retired_at = ?, revoked_at = ?, revocation_reason = ?, revoked_by = ?, emergency_reason = ?, is_initial = ?,
                private_destroyed_at = ?
            WHERE issuer_id = ? AND kid = ?
            """, arguments: StatementArguments(Array(Self.values(key).dropFirst(2)) + [key.issuerID, key.keyID]))
        guard db.changesCount == 1 else { throw StoreError(.keyNotFound, "key '\(key.keyID)' of issuer '\(key.issuerID)' does not exist") }
    }

    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO key_event (issuer_id, kid, kind, at, actor, reason) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [issuerID, keyID, kind.rawValue, at.timeIntervalSince1970, actor, reason])
        return db.lastInsertedRowID
    }

    func events(after sequence: Int64, limit: Int) throws -> [KeyEvent] {
        try Row.fetchAll(db, sql: "SELECT * FROM key_event WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit]).map(Self.event(from:))
    }

    func latestEvent() throws -> KeyEvent? {
        // Read on every token request (to see revocations at once): a cached statement.
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM key_event ORDER BY sequence DESC LIMIT 1")).map(Self.event(from:))
    }

    private static func event(from row: Row) -> KeyEvent {
        KeyEvent(sequence: row["sequence"], issuerID: row["issuer_id"], keyID: row["kid"],
                 kind: KeyEvent.Kind(rawValue: row["kind"]) ?? .created, at: Date(timeIntervalSince1970: row["at"]),
                 actor: row["actor"], reason: row["reason"])
    }

    func metadata(_ name: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE name = ?", arguments: [name])
    }

    func setMetadata(_ name: String, _ value: String) throws {
        try db.execute(sql: "INSERT INTO metadata (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                       arguments: [name, value])
    }

    private static func values(_ key: KeyRecord) -> [(any DatabaseValueConvertible)?] {
        [key.issuerID, key.keyID, key.algorithm.rawValue, key.state.rawValue, key.publicJWK, Data(key.sealedPrivateKey),
         key.kekFingerprint, key.createdAt.timeIntervalSince1970, key.scheduledActivation?.timeIntervalSince1970,
         key.activatedAt?.timeIntervalSince1970, key.deactivatedAt?.timeIntervalSince1970, key.verifyUntil?.timeIntervalSince1970,
         key.retiredAt?.timeIntervalSince1970, key.revokedAt?.timeIntervalSince1970, key.revocationReason, key.revokedBy,
         key.emergencyReason, key.isInitial, key.privateKeyDestroyedAt?.timeIntervalSince1970]
    }

    private static func issuer(from row: Row) throws -> IssuerRecord {
        guard let kind = IssuerRecord.Kind(rawValue: row["kind"]), let algorithm = JWSAlgorithm(rawValue: row["algorithm"]),
              let custody = KeyCustody(rawValue: row["custody"]) else {
            throw StoreError(.storage, "issuer row '\(row["id"] as String? ?? "?")' is corrupt")
        }
        return IssuerRecord(id: row["id"], url: row["url"], kind: kind, tenantID: row["tenant_id"], algorithm: algorithm,
                            rotationPeriod: row["rotation_period"], publishLeadTime: row["publish_lead_time"],
                            maximumTokenLifetime: row["maximum_token_lifetime"], maximumKeyAge: row["maximum_key_age"],
                            createdAt: Date(timeIntervalSince1970: row["created_at"]), custody: custody)
    }

    private static func key(from row: Row) throws -> KeyRecord {
        guard let state = KeyState(rawValue: row["state"]), let algorithm = JWSAlgorithm(rawValue: row["algorithm"]),
              let purpose = KeyPurpose(rawValue: row["purpose"]), let custody = KeyCustody(rawValue: row["custody"]) else {
            throw StoreError(.storage, "key row '\(row["kid"] as String? ?? "?")' is corrupt")
        }
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return KeyRecord(
            issuerID: row["issuer_id"], keyID: row["kid"], algorithm: algorithm, purpose: purpose, state: state, publicJWK: row["public_jwk"],
            sealedPrivateKey: Array(row["sealed_private_key"] as Data), kekFingerprint: row["kek_fingerprint"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), scheduledActivation: date("scheduled_activation"),
            activatedAt: date("activated_at"), deactivatedAt: date("deactivated_at"), verifyUntil: date("verify_until"),
            retiredAt: date("retired_at"), revokedAt: date("revoked_at"), revocationReason: row["revocation_reason"],
            revokedBy: row["revoked_by"], emergencyReason: row["emergency_reason"], isInitial: row["is_initial"],
            custody: custody, privateKeyDestroyedAt: date("private_destroyed_at"))
    }
}
