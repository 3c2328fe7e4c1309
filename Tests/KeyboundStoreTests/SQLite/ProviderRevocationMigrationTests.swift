import Foundation
import GRDB
@testable import KeyboundStore
import Testing

/// Version 5 of the SQLite provider file: revocations name their issuer, and are looked up as
/// (issuer, jti) and (issuer, chain). Rows written before it get their issuer from the ledger.
@Suite("SQLite provider store: revocations migrated to (issuer, value)")
struct ProviderRevocationMigrationTests {
    @Test("a revocation written before v5 is found under its own issuer and under no other")
    func olderRevocationsKeepTheirIssuer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-v5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(SQLiteProviderStore.fileName).path
        let queue = try DatabaseQueue(path: path)
        try SQLiteProviderStore.migrator.migrate(queue, upTo: "v4: server clients, token events")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO issuance (issuer_id, kid, jti, kind, subject, client_id, audience, scope, roles, issued_at, expires_at,
                                      chain_id, grant_type, claims_digest)
                VALUES ('contoso', 'k1', 'jti-1', 'access', 'alice', 'web', '["api://mail"]', '', '[]', 0, 1, 'chain-1',
                        'authorization_code', 'digest');
                INSERT INTO token_revocation (jti, revoked_at, reason) VALUES ('jti-1', 0, 'revoked before v5');
                INSERT INTO chain_revocation (chain_id, revoked_at, reason) VALUES ('chain-1', 0, 'revoked before v5');
                """)
        }
        try queue.close()

        let store = try SQLiteProviderStore(directory: directory)
        #expect(try store.revocation(issuerID: "contoso", tokenID: "jti-1")?.reason == "revoked before v5")
        #expect(try store.revocation(issuerID: "fabrikam", tokenID: "jti-1") == nil)
        let chained = IssuanceRecord(issuerID: "contoso", keyID: "k1", tokenID: "jti-2", kind: .access, subject: "alice", clientID: "web",
                                     audience: ["api://mail"], scope: "", roles: [], tenantID: nil, issuedAt: Date(),
                                     expiresAt: Date().addingTimeInterval(60), parentTokenID: nil, sessionID: nil, chainID: "chain-1",
                                     grantType: "refresh_token", claimsDigest: "digest")
        #expect(throws: StoreError.self, "the chain stays revoked for its issuer") { try store.commitNow(IssuanceEntry(records: [chained])) }
        var elsewhere = chained
        elsewhere.issuerID = "fabrikam"
        elsewhere.tokenID = "jti-3"
        try store.commitNow(IssuanceEntry(records: [elsewhere]))
        #expect(try store.issuance(issuerID: "fabrikam", tokenID: "jti-3") != nil, "another issuer's chain of the same id is not revoked")
    }
}
