import Foundation
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundStore
import Synchronization
import Testing

/// Audit logs on each store backend, and the check that a chain is unbroken (one file, linked
/// into the end-to-end tests).
enum AuditStorageFixture {
    static let configuration = AuditConfiguration(checkpointInterval: 10)

    /// A log on `fixture`'s backend, as one node opens it: on SQLite the data directory's
    /// `audit.sqlite` and key file; on PostgreSQL the shared tables, signed by the key store's sealed
    /// audit key (opened with `kek`, the fixture's unless told).
    static func openLog(_ fixture: StoreFixture, kek: KeyEncryptionKey? = nil) async throws -> AuditLog {
        guard let database = fixture.postgresDatabase else {
            return try AuditLog(directory: fixture.directory, configuration: configuration)
        }
        let manager = try await fixture.open(kek: kek)
        let secret = try await manager.sealedSecret(.auditSigningKey) { AuditSigningKey.generatePrivateKeyBytes() }
        return try await AuditLog.open(database: database, signingKey: try AuditSigningKey(privateKeyBytes: secret), configuration: configuration)
    }

    static func withLog(_ backend: StoreBackend, _ body: (StoreFixture, AuditLog) async throws -> Void) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        try await body(fixture, try await openLog(fixture))
    }

    /// Recomputes the chain over every retained record from `start` (after `hash`), and checks each
    /// checkpoint's hash and signature against it; returns the number of records walked.
    static func expectUnbrokenChain(_ log: AuditLog, from start: Int64 = 1, after hash: [UInt8] = AuditCanonical.genesis) async throws -> Int {
        var previous = hash, expected = start, hashes: [Int64: [UInt8]] = [:]
        try await log.forEach(batchSize: 7, after: start - 1) { record in
            #expect(record.sequence == expected, "no gap and no duplicate at \(expected)")
            let recomputed = AuditCanonical.hash(previous: previous, sequence: record.sequence, fields: record.canonicalFields)
            #expect(recomputed == record.hash, "record \(record.sequence) chains from the one before")
            previous = record.hash
            hashes[record.sequence] = record.hash
            expected += 1
        }
        let publicKey = try #require(log.publicKey)
        for checkpoint in try await log.checkpoints() where checkpoint.lastSequence >= start {
            #expect(hashes[checkpoint.lastSequence] == checkpoint.lastHash, "checkpoint \(checkpoint.segment) ends at the chain's hash")
            #expect(checkpoint.keyID == publicKey.keyID)
            #expect(publicKey.isValidSignature(checkpoint.signature, for: checkpoint.signedBytes))
        }
        return Int(expected - start)
    }
}
