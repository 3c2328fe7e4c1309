import Foundation
@testable import Keybound
@testable import KeyboundAudit
@testable import KeyboundStore
import Synchronization
import Testing

/// The audit log's storage on both backends: the same chain, checkpoints, tenant feed and
/// retention; two writers (nodes) extending one chain without a fork; a database that refuses
/// changes itself; on PostgreSQL one signing key per log, sealed under the KEK in the key store.
@Suite("Audit log storage contract", .timeLimit(.minutes(10)))
struct AuditStorageContractTests {

    @Test("appends number and chain the records, sign a checkpoint every segment, feed each tenant its verified records, and prune whole segments",
          arguments: StoreBackend.allCases)
    func chainCheckpointsFeedAndRetention(backend: StoreBackend) async throws {
        try await AuditStorageFixture.withLog(backend) { _, log in
            // The first segment in order; then concurrent appends, which share transactions (group
            // commit) and still form one chain.
            for index in 1...10 { _ = try await log.append(AuditFixture.record(index, tenant: index % 3 == 0 ? "fabrikam" : "contoso")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 11...25 {
                    group.addTask { _ = try await log.append(AuditFixture.record(index, tenant: index % 3 == 0 ? "fabrikam" : "contoso")) }
                }
                try await group.waitForAll()
            }
            #expect(try await log.lastSequence() == 25)
            #expect(try await AuditStorageFixture.expectUnbrokenChain(log) == 25)
            #expect(try await log.checkpoints().map(\.lastSequence) == [10, 20])
            let closing = try #require(try await log.checkpoint())
            #expect(closing.firstSequence == 21 && closing.lastSequence == 25 && closing.recordCount == 5)
            #expect(try await log.checkpoint()?.segment == closing.segment, "nothing new: the last checkpoint again")

            // The feed: verified records of exactly (issuer, tid), paged by sequence.
            let contoso = Tenant(issuer: AuditFixture.issuer(of: "contoso"), tenantID: "contoso", kind: .tenant)
            let all = try await log.records(after: 0, limit: 100)
            let expected = all.filter { $0.tenant == "contoso" && $0.attribution == .verified }.map(\.sequence)
            let firstPage = try await log.records(of: contoso, after: 0, limit: 5)
            let rest = try await log.records(of: contoso, after: try #require(firstPage.last).sequence, limit: 100)
            #expect((firstPage + rest).map(\.sequence) == expected && !expected.isEmpty)
            let squatter = Tenant(issuer: AuditFixture.issuer(of: "fabrikam"), tenantID: "contoso", kind: .tenant)
            #expect(try await log.records(of: squatter).isEmpty, "another issuer's tid of the same name reads nothing")

            // Retention: the first segment's records are all older than the cutoff, the second's are not.
            let cutoff = AuditFixture.baseTime.addingTimeInterval(10.5)
            let pruned = try await log.prune(olderThan: cutoff, now: AuditFixture.baseTime.addingTimeInterval(86_400))
            #expect(pruned.segmentsRemoved == 1 && pruned.recordsRemoved == 10)
            #expect(try await log.pruneRecords().map(\.throughSequence) == [10])
            #expect(try await log.records(after: 0, limit: 1).first?.sequence == 11)
            let tenth = try #require(try await log.checkpoints().first)
            #expect(try await AuditStorageFixture.expectUnbrokenChain(log, from: 11, after: tenth.lastHash) == 15)
            // The chain goes on from the head after a prune.
            let next = try await log.append(AuditFixture.record(26))
            #expect(next.sequence == 26)
            #expect(try await log.lastSequence() == 26)
        }
    }

    @Test("two nodes appending at once extend one chain, with no gap and no fork, signed by one key", arguments: StoreBackend.allCases)
    func twoNodesOneChain(backend: StoreBackend) async throws {
        try await AuditStorageFixture.withLog(backend) { fixture, nodeA in
            let nodeB = try await AuditStorageFixture.openLog(fixture)
            #expect(nodeA.publicKey == nodeB.publicKey, "one signing key per log, whichever node opened it")
            let perWriter = 15, writersPerNode = 3
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (node, log) in [(0, nodeA), (1, nodeB)] {
                    for writer in 0..<writersPerNode {
                        group.addTask {
                            for index in 0..<perWriter {
                                _ = try await log.append(AuditFixture.record(node * 1_000 + writer * 100 + index))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = 2 * writersPerNode * perWriter
            #expect(try await nodeA.lastSequence() == Int64(total))
            #expect(try await AuditStorageFixture.expectUnbrokenChain(nodeB) == total)
            #expect(try await nodeA.checkpoints().count == total / 10)
        }
    }

    @Test("the database itself refuses to change or delete records, checkpoints, prune records and keys", arguments: StoreBackend.allCases)
    func databaseRefusesChanges(backend: StoreBackend) async throws {
        try await AuditStorageFixture.withLog(backend) { fixture, log in
            _ = try await log.appendAlone((1...25).map { AuditFixture.record($0) })
            _ = try await log.prune(olderThan: AuditFixture.baseTime.addingTimeInterval(10.5), now: AuditFixture.baseTime.addingTimeInterval(60))
            var statements = [
                "UPDATE audit_record SET user_agent = 'x' WHERE sequence = 13",
                "DELETE FROM audit_record WHERE sequence = 13",
                "UPDATE audit_checkpoint SET record_count = 1",
                "DELETE FROM audit_checkpoint WHERE segment = 2",
                "UPDATE audit_prune SET cutoff_ms = 0",
                "DELETE FROM audit_prune",
                "DELETE FROM audit_key",
            ]
            if backend == .postgres { statements += ["TRUNCATE audit_record", "TRUNCATE audit_checkpoint", "TRUNCATE audit_key"] }
            for sql in statements {
                await #expect(throws: (any Error).self, "refused: \(sql)") { try await fixture.executeRaw(sql, file: AuditLog.fileName) }
            }
            #expect(try await AuditStorageFixture.expectUnbrokenChain(log, from: 11, after: try #require(try await log.checkpoints().first).lastHash) == 15)
        }
    }

    @Test("the audit key is sealed in the key store: every node unseals the same one, another KEK cannot, a KEK rotation re-seals it",
          arguments: StoreBackend.allCases)
    func sealedAuditKey(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        defer { fixture.remove() }
        let generated = Counter()
        let make: @Sendable () -> [UInt8] = { generated.increment(); return AuditSigningKey.generatePrivateKeyBytes() }
        _ = try await fixture.open()  // the store exists (its first opening creates it)
        // Nodes asking at once: one secret is made and kept.
        let secrets = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<4 { group.addTask { try await fixture.open().sealedSecret(.auditSigningKey, orCreate: make) } }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(Set(secrets).count == 1 && secrets[0].count == 32)
        #expect(try await fixture.open().sealedSecret(.auditSigningKey, orCreate: make) == secrets[0])

        // Stored sealed: another KEK cannot open it, and it is not in the store in the clear.
        await #expect(throws: StoreError.self) { try await fixture.open(kek: .generate()).sealedSecret(.auditSigningKey, orCreate: make) }

        // A KEK rotation re-seals it with the signing keys, in the same transaction.
        let newKEK = KeyEncryptionKey.generate()
        _ = try await fixture.open().rotateKEK(to: newKEK, now: Date())
        #expect(try await fixture.open(kek: newKEK).sealedSecret(.auditSigningKey, orCreate: make) == secrets[0])
        await #expect(throws: StoreError.self) { try await fixture.open().sealedSecret(.auditSigningKey, orCreate: make) }
        #expect(generated.value <= 4, "made at most once per asking node, kept once")
    }

    @Test("on PostgreSQL a log already signed by one key refuses a node that brings another")
    func postgresRefusesASecondKey() async throws {
        try await AuditStorageFixture.withLog(.postgres) { fixture, log in
            _ = try await log.append(AuditFixture.record(1))
            let database = try #require(fixture.postgresDatabase)
            await #expect(throws: AuditError.self) {
                _ = try await AuditLog.open(database: database, signingKey: .generate(), configuration: AuditStorageFixture.configuration)
            }
            let again = try await AuditLog.open(database: database, signingKey: try #require(log.signingKey), configuration: AuditStorageFixture.configuration)
            #expect(try await again.lastSequence() == 1)
        }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
