import Foundation
import GRDB
@testable import Keybound
@testable import KeyboundStore

extension StoreFixture {
    /// A store in the schema before key purposes (migrations v1 and v2), holding `issuer` and its
    /// access-token keys and events as that store had them.
    static func beforePurposes(kek: KeyEncryptionKey) async throws -> StoreFixture {
        let source = try await StoreFixture(issuers: [StoreIssuers.consumer(), StoreIssuers.tenant()], kek: kek)
        defer { source.remove() }
        let manager = try await source.open()
        let issuers = try await manager.issuers()
        let keys = try await manager.keys().filter { $0.purpose == .accessToken }
        let old = try await StoreFixture(kek: kek)
        let queue = try DatabaseQueue(path: old.databaseFile.path)
        try SQLiteKeyStore.migrator.migrate(queue, upTo: "v2: every issuer has its own tenant id")
        try await queue.write { db in
            for issuer in issuers {
                try db.execute(sql: """
                    INSERT INTO issuer (id, url, kind, tenant_id, algorithm, rotation_period, publish_lead_time,
                                        maximum_token_lifetime, maximum_key_age, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [issuer.id, issuer.url, issuer.kind.rawValue, issuer.tenantID, issuer.algorithm.rawValue,
                                     issuer.rotationPeriod, issuer.publishLeadTime, issuer.maximumTokenLifetime, issuer.maximumKeyAge,
                                     issuer.createdAt.timeIntervalSince1970])
            }
            for key in keys {
                try db.execute(sql: """
                    INSERT INTO signing_key (issuer_id, kid, algorithm, state, public_jwk, sealed_private_key, kek_fingerprint,
                                             created_at, activated_at, is_initial) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """, arguments: [key.issuerID, key.keyID, key.algorithm.rawValue, key.state.rawValue, key.publicJWK,
                                     Data(key.sealedPrivateKey), key.kekFingerprint, key.createdAt.timeIntervalSince1970,
                                     key.activatedAt?.timeIntervalSince1970])
                try db.execute(sql: "INSERT INTO key_event (issuer_id, kid, kind, at, actor, reason) VALUES (?, ?, 'created', ?, 'admin', 'initial key')",
                               arguments: [key.issuerID, key.keyID, key.createdAt.timeIntervalSince1970])
            }
            try db.execute(sql: "INSERT INTO metadata (name, value) VALUES ('kek_fingerprint', ?)", arguments: [kek.fingerprint])
        }
        return old
    }
}
