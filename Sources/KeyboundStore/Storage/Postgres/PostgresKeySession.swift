import Foundation
import Keybound
internal import KeyboundPostgres
import NIOCore
internal import PostgresNIO
import Logging

/// Rows ↔ records for ``PostgresKeyStore``, on the connection of one transaction.
struct PostgresKeySession: KeyStoreSession {
    let connection: PostgresConnection
    let logger: Logger

    private static let keyColumns = """
        issuer_id, kid, algorithm, purpose, state, public_jwk, sealed_private_key, kek_fingerprint, created_at,
        scheduled_activation, activated_at, deactivated_at, verify_until, retired_at, revoked_at, revocation_reason,
        revoked_by, emergency_reason, is_initial, custody, private_destroyed_at
        """
    private static let issuerColumns = """
        id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time, maximum_token_lifetime, maximum_key_age, created_at,
        custody
        """
    private static let eventColumns = "sequence, issuer_id, kid, kind, at, actor, reason"

    private func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func issuers() async throws -> [IssuerRecord] {
        try await rows(PostgresQuery(unsafeSQL: "SELECT \(Self.issuerColumns) FROM issuer ORDER BY id")).map(Self.issuer(from:))
    }

    func issuer(id: String) async throws -> IssuerRecord? {
        var query = PostgresQuery(unsafeSQL: "SELECT \(Self.issuerColumns) FROM issuer WHERE id = $1")
        query.binds.append(id, context: .default)
        return try await rows(query).first.map(Self.issuer(from:))
    }

    func insert(_ issuer: IssuerRecord) async throws {
        guard let tenantID = issuer.tenantID else { throw StoreError(.invariantViolated, "every issuer has a tenant id") }
        try await connection.query("""
            INSERT INTO issuer (id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time,
                                maximum_token_lifetime, maximum_key_age, created_at, custody)
            VALUES (\(issuer.id), \(issuer.url), \(issuer.kind.rawValue), \(tenantID), \(issuer.algorithm.rawValue),
                    \(issuer.rotationPeriod), \(issuer.publishLeadTime), \(issuer.maximumTokenLifetime), \(issuer.maximumKeyAge),
                    \(issuer.createdAt.timeIntervalSince1970), \(issuer.custody.rawValue))
            """, logger: logger)
    }

    func keys(issuerID: String?) async throws -> [KeyRecord] {
        guard let issuerID else {
            return try await rows(PostgresQuery(unsafeSQL: "SELECT \(Self.keyColumns) FROM signing_key ORDER BY issuer_id, created_at, kid"))
                .map(Self.key(from:))
        }
        var query = PostgresQuery(unsafeSQL: "SELECT \(Self.keyColumns) FROM signing_key WHERE issuer_id = $1 ORDER BY created_at, kid")
        query.binds.append(issuerID, context: .default)
        return try await rows(query).map(Self.key(from:))
    }

    func key(issuerID: String, keyID: String) async throws -> KeyRecord? {
        var query = PostgresQuery(unsafeSQL: "SELECT \(Self.keyColumns) FROM signing_key WHERE issuer_id = $1 AND kid = $2")
        query.binds.append(issuerID, context: .default)
        query.binds.append(keyID, context: .default)
        return try await rows(query).first.map(Self.key(from:))
    }

    func insert(_ key: KeyRecord) async throws {
        try await connection.query("""
            INSERT INTO signing_key (issuer_id, kid, algorithm, purpose, state, public_jwk, sealed_private_key, kek_fingerprint,
                created_at, scheduled_activation, activated_at, deactivated_at, verify_until, retired_at, revoked_at,
                revocation_reason, revoked_by, emergency_reason, is_initial, custody, private_destroyed_at)
            VALUES (\(key.issuerID), \(key.keyID), \(key.algorithm.rawValue), \(key.purpose.rawValue), \(key.state.rawValue),
                \(key.publicJWK), \(ByteBuffer(bytes: key.sealedPrivateKey)), \(key.kekFingerprint), \(key.createdAt.timeIntervalSince1970),
                \(key.scheduledActivation?.timeIntervalSince1970), \(key.activatedAt?.timeIntervalSince1970),
                \(key.deactivatedAt?.timeIntervalSince1970), \(key.verifyUntil?.timeIntervalSince1970),
                \(key.retiredAt?.timeIntervalSince1970), \(key.revokedAt?.timeIntervalSince1970), \(key.revocationReason),
                \(key.revokedBy), \(key.emergencyReason), \(key.isInitial), \(key.custody.rawValue),
                \(key.privateKeyDestroyedAt?.timeIntervalSince1970))
            """, logger: logger)
    }

    func update(_ key: KeyRecord) async throws {
        let updated = try await rows("""
            UPDATE signing_key SET algorithm = \(key.algorithm.rawValue), state = \(key.state.rawValue),
                public_jwk = \(key.publicJWK), sealed_private_key = \(ByteBuffer(bytes: key.sealedPrivateKey)),
                kek_fingerprint = \(key.kekFingerprint), created_at = \(key.createdAt.timeIntervalSince1970),
                scheduled_activation = \(key.scheduledActivation?.timeIntervalSince1970),
                activated_at = \(key.activatedAt?.timeIntervalSince1970), deactivated_at = \(key.deactivatedAt?.timeIntervalSince1970),
                verify_until = \(key.verifyUntil?.timeIntervalSince1970), retired_at = \(key.retiredAt?.timeIntervalSince1970),
                revoked_at = \(key.revokedAt?.timeIntervalSince1970), revocation_reason = \(key.revocationReason),
                revoked_by = \(key.revokedBy), emergency_reason = \(key.emergencyReason), is_initial = \(key.isInitial),
                private_destroyed_at = \(key.privateKeyDestroyedAt?.timeIntervalSince1970)
            WHERE issuer_id = \(key.issuerID) AND kid = \(key.keyID)
            RETURNING kid
            """)
        guard updated.count == 1 else { throw StoreError(.keyNotFound, "key '\(key.keyID)' of issuer '\(key.issuerID)' does not exist") }
    }

    func appendEvent(issuerID: String, keyID: String, kind: KeyEvent.Kind, at: Date, actor: String, reason: String) async throws -> Int64 {
        let sequence = try await PostgresKeyStore.eventLog.nextSequence(connection, logger: logger)
        try await connection.query("""
            INSERT INTO key_event (sequence, issuer_id, kid, kind, at, actor, reason)
            VALUES (\(sequence), \(issuerID), \(keyID), \(kind.rawValue), \(at.timeIntervalSince1970), \(actor), \(reason))
            """, logger: logger)
        return sequence
    }

    func events(after sequence: Int64, limit: Int) async throws -> [KeyEvent] {
        try await rows("""
            SELECT sequence, issuer_id, kid, kind, at, actor, reason FROM key_event
            WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(max(0, limit)))
            """).map(Self.event(from:))
    }

    func latestEvent() async throws -> KeyEvent? {
        try await rows(PostgresQuery(unsafeSQL: "SELECT \(Self.eventColumns) FROM key_event ORDER BY sequence DESC LIMIT 1"))
            .first.map(Self.event(from:))
    }

    func metadata(_ name: String) async throws -> String? {
        try await rows("SELECT value FROM key_store_metadata WHERE name = \(name)").first.map { try $0["value"].decode(String.self) }
    }

    func setMetadata(_ name: String, _ value: String) async throws {
        try await connection.query("""
            INSERT INTO key_store_metadata (name, value) VALUES (\(name), \(value))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """, logger: logger)
    }

    // MARK: Rows

    private static func issuer(from row: PostgresRandomAccessRow) throws -> IssuerRecord {
        let id = try row["id"].decode(String.self)
        guard let kind = IssuerRecord.Kind(rawValue: try row["kind"].decode(String.self)),
              let algorithm = JWSAlgorithm(rawValue: try row["algorithm"].decode(String.self)),
              let custody = KeyCustody(rawValue: try row["custody"].decode(String.self)) else {
            throw StoreError(.storage, "issuer row '\(id)' is corrupt")
        }
        return IssuerRecord(id: id, url: try row["url"].decode(String.self), kind: kind, tenantID: try row["tenant_id"].decode(String.self),
                            algorithm: algorithm, rotationPeriod: try row["rotation_period"].decode(Double.self),
                            publishLeadTime: try row["publish_lead_time"].decode(Double.self),
                            maximumTokenLifetime: try row["maximum_token_lifetime"].decode(Double.self),
                            maximumKeyAge: try row["maximum_key_age"].decode(Double.self),
                            createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)), custody: custody)
    }

    private static func key(from row: PostgresRandomAccessRow) throws -> KeyRecord {
        let kid = try row["kid"].decode(String.self)
        guard let state = KeyState(rawValue: try row["state"].decode(String.self)),
              let algorithm = JWSAlgorithm(rawValue: try row["algorithm"].decode(String.self)),
              let purpose = KeyPurpose(rawValue: try row["purpose"].decode(String.self)),
              let custody = KeyCustody(rawValue: try row["custody"].decode(String.self)) else {
            throw StoreError(.storage, "key row '\(kid)' is corrupt")
        }
        func date(_ column: String) throws -> Date? { try row[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:)) }
        let sealed = try row["sealed_private_key"].decode(ByteBuffer.self)
        return KeyRecord(
            issuerID: try row["issuer_id"].decode(String.self), keyID: kid, algorithm: algorithm, purpose: purpose, state: state,
            publicJWK: try row["public_jwk"].decode(String.self), sealedPrivateKey: Array(sealed.readableBytesView),
            kekFingerprint: try row["kek_fingerprint"].decode(String.self),
            createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)),
            scheduledActivation: try date("scheduled_activation"), activatedAt: try date("activated_at"),
            deactivatedAt: try date("deactivated_at"), verifyUntil: try date("verify_until"), retiredAt: try date("retired_at"),
            revokedAt: try date("revoked_at"), revocationReason: try row["revocation_reason"].decode(String?.self),
            revokedBy: try row["revoked_by"].decode(String?.self), emergencyReason: try row["emergency_reason"].decode(String?.self),
            isInitial: try row["is_initial"].decode(Bool.self), custody: custody, privateKeyDestroyedAt: try date("private_destroyed_at"))
    }

    private static func event(from row: PostgresRandomAccessRow) throws -> KeyEvent {
        KeyEvent(sequence: try row["sequence"].decode(Int64.self), issuerID: try row["issuer_id"].decode(String.self),
                 keyID: try row["kid"].decode(String.self),
                 kind: KeyEvent.Kind(rawValue: try row["kind"].decode(String.self)) ?? .created,
                 at: Date(timeIntervalSince1970: try row["at"].decode(Double.self)),
                 actor: try row["actor"].decode(String.self), reason: try row["reason"].decode(String.self))
    }
}
