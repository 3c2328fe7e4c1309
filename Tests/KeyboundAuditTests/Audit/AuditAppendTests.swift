import Foundation
import GRDB
@testable import Keybound
import Synchronization
import Testing
@testable import KeyboundAudit

@Suite("Audit log: appending, the chain and checkpoints")
struct AuditAppendTests {
    @Test("50 concurrent tasks × 20 records: one contiguous, intact chain; each call's records stay together")
    func concurrentAppends() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let batches = BatchCounter()
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: 100),
                               onBatch: { size, _ in batches.add(size) })
        let results = try await withThrowingTaskGroup(of: [AuditRecord].self) { group in
            for task in 0..<50 {
                group.addTask {
                    var appended: [AuditRecord] = []
                    for index in 0..<20 {
                        // Alternate single appends and pairs so both paths race.
                        if index % 2 == 0 {
                            appended.append(try await log.append(AuditFixture.record(task * 20 + index, tenant: "tenant-\(task % 7)")))
                        } else {
                            appended.append(contentsOf: try await log.append([AuditFixture.record(task * 20 + index, tenant: "tenant-\(task % 7)")]))
                        }
                    }
                    return appended
                }
            }
            var all: [[AuditRecord]] = []
            for try await appended in group { all.append(appended) }
            return all
        }
        let sequences = results.flatMap { $0.map(\.sequence) }.sorted()
        #expect(sequences == Array(1...1_000))
        for appended in results {
            // Each task's own appends are in the order it made them.
            #expect(appended.map(\.sequence) == appended.map(\.sequence).sorted())
        }
        // Group commit actually grouped: fewer commits than appends.
        #expect(batches.commits < 1_000)
        #expect(batches.appends == 1_000)

        let stored = try await log.records(after: 0, limit: 2_000)
        #expect(stored.map(\.sequence) == Array(1...1_000))
        let returnedHashes = Dictionary(uniqueKeysWithValues: results.flatMap { $0 }.map { ($0.sequence, $0.hash) })
        var previous = AuditCanonical.genesis
        for record in stored {
            #expect(record.hash == returnedHashes[record.sequence])
            #expect(record.hash == AuditCanonical.chain(previous, record.canonicalBytes))
            previous = record.hash
        }
        let checkpoints = try await log.checkpoints()
        #expect(checkpoints.map(\.segment) == Array(1...10))
        #expect(checkpoints.map(\.lastSequence) == stride(from: 100, through: 1_000, by: 100).map(Int64.init))

        let report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.recordsChecked == 1_000)
        #expect(report.checkpointsChecked == 10)
        #expect(report.uncheckpointedRecords == 0)
        #expect(report.keyIDs == [try #require(log.publicKey).keyID])
    }

    @Test("A record reads back exactly as appended (after normalisation), token fields nil for a denied request")
    func roundTrip() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        var allowed = AuditFixture.record(1)
        allowed.time = Date(timeIntervalSince1970: 1_800_000_000.123_4)
        allowed.tokenRoles = ["Mail.ReadWrite.All", "weird \"quoted\" \\ role\n"]
        allowed.itemIDs = []
        let denied = AuditFixture.record(4)
        let appended = try await log.append([allowed, denied])
        let stored = try await log.records()
        #expect(stored == appended)
        #expect(stored[0].time == Date(timeIntervalSince1970: 1_800_000_000.123))
        #expect(stored[0].tokenRoles == ["Mail.ReadWrite.All", "weird \"quoted\" \\ role\n"])
        #expect(stored[0].itemIDs == [])
        #expect(stored[1].verdict == .denied)
        #expect(stored[1].rejectionCode == "malformed_token")
        #expect(stored[1].tokenIssuer == nil && stored[1].tokenAudience == nil && stored[1].tokenIssuedAt == nil)
        #expect(stored.map(\.sequence) == [1, 2])
    }

    @Test("Hostile strings: NUL becomes U+FFFD, long values are cut, long lists end with a count; the chain still verifies")
    func hostileStrings() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(maximumFieldBytes: 64, maximumListCount: 3))
        var record = AuditFixture.record(1)
        record.userAgent = "evil\u{0}agent"
        record.resource = String(repeating: "é", count: 100)
        record.itemIDs = (0..<10).map { "item-\($0)" }
        let appended = try await log.append(record)
        #expect(appended.userAgent == "evil\u{FFFD}agent")
        #expect(appended.resource!.utf8.count <= 64)
        #expect(appended.resource!.hasSuffix("…"))
        #expect(appended.itemIDs == ["item-0", "item-1", "…(+8 more)"])
        #expect(try await log.records() == [appended])
        #expect(try AuditFixture.verify(directory).isIntact)
    }

    @Test("The canonical encoding is unambiguous: nil, empty, moved boundaries and lists all differ")
    func canonicalEncoding() {
        var base = AuditFixture.record(1)
        base.sequence = 7
        var variants: [AuditRecord] = []
        var empty = base; empty.tenant = ""; variants.append(empty)
        var none = base; none.tenant = nil; variants.append(none)
        var shifted = base; shifted.tenant = base.tenant! + String(base.resource!.first!); shifted.resource = String(base.resource!.dropFirst()); variants.append(shifted)
        var noAudience = base; noAudience.tokenAudience = nil; variants.append(noAudience)
        var emptyAudience = base; emptyAudience.tokenAudience = []; variants.append(emptyAudience)
        var joined = base; joined.itemIDs = [base.itemIDs.joined()]; variants.append(joined)
        var renumbered = base; renumbered.sequence = 8; variants.append(renumbered)
        var denied = base; denied.verdict = .denied; variants.append(denied)
        // Format 2's fields: the tenant's issuer, the attribution and the fold count each count.
        var otherIssuer = base; otherIssuer.tenantIssuer = "https://login.example.com/consumers"; variants.append(otherIssuer)
        var unverified = base; unverified.attribution = .unverified; variants.append(unverified)
        var folded = base; folded.attemptCount = 2; variants.append(folded)
        var format1 = base; (format1.tenantIssuer, format1.attribution) = (nil, nil); variants.append(format1)
        let encodings = Set(([base] + variants).map(\.canonicalBytes))
        #expect(encodings.count == variants.count + 1)
        #expect(base.canonicalBytes.starts(with: Array("KBAUDIT".utf8) + [2, 0, 0, 0, 0, 0, 0, 0, 7]))
        #expect(format1.canonicalBytes.starts(with: Array("KBAUDIT".utf8) + [1, 0, 0, 0, 0, 0, 0, 0, 7]))
    }

    @Test("The database refuses UPDATE and DELETE of records, checkpoints and keys")
    func triggersRefuseChanges() async throws {
        let (directory, log) = try AuditFixture.log(count: 25)
        defer { AuditFixture.cleanUp(directory) }
        #expect(try await log.checkpoints().count == 2)
        let queue = try DatabaseQueue(path: log.location)
        for sql in ["UPDATE audit_record SET user_agent = 'x' WHERE sequence = 3", "DELETE FROM audit_record WHERE sequence = 3",
                    "DELETE FROM audit_record WHERE sequence = 25", "UPDATE audit_checkpoint SET record_count = 1",
                    "DELETE FROM audit_checkpoint WHERE segment = 2", "DELETE FROM audit_key", "UPDATE audit_key SET algorithm = 'none'"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try AuditFixture.execute(queue, sql) }
        }
        try queue.close()
        #expect(try await log.records().count == 25)
        #expect(try AuditFixture.verify(directory).isIntact)
    }

    @Test("checkpoint() signs the tail now; with nothing new it returns the last one; later appends continue the segments")
    func checkpointOnDemand() async throws {
        let (directory, log) = try AuditFixture.log(count: 23)
        defer { AuditFixture.cleanUp(directory) }
        #expect(try AuditFixture.verify(directory).uncheckpointedRecords == 3)
        let sealed = try #require(try await log.checkpoint())
        #expect(sealed.segment == 3 && sealed.firstSequence == 21 && sealed.lastSequence == 23 && sealed.recordCount == 3)
        #expect(try await log.checkpoint() == sealed)
        try await log.appendAlone((23..<40).map { AuditFixture.record($0) })
        let checkpoints = try await log.checkpoints()
        // Segment 4 starts after the on-demand checkpoint and is full at 10 records.
        #expect(checkpoints.map(\.lastSequence) == [10, 20, 23, 33])
        let report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.uncheckpointedRecords == 7)
        #expect(report.lastSequence == 40)

        let empty = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(empty) }
        #expect(try await AuditLog(directory: empty).checkpoint() == nil)
        #expect(try AuditFixture.verify(empty).isIntact)
    }

    @Test("Tenants read only their own verified records, paged by sequence; forEach visits every record once in order")
    func reading() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        try await log.appendAlone((0..<30).map { AuditFixture.record($0, tenant: $0 % 3 == 0 ? "fabrikam" : "contoso") })
        let fabrikam = Tenant(issuer: AuditFixture.issuer(of: "fabrikam"), tenantID: "fabrikam", kind: .tenant)
        let first = try await log.records(of: fabrikam, after: 0, limit: 4)
        #expect(first.count == 4 && first.allSatisfy { $0.tenant == "fabrikam" && $0.attribution == .verified })
        let rest = try await log.records(of: fabrikam, after: first.last!.sequence, limit: 100)
        // Every third record is fabrikam's; every fifth is a refused, unverified attempt, which no feed shows.
        let expected: [Int64] = (0..<30).filter { (index: Int) -> Bool in index % 3 == 0 && index % 5 != 4 }.map { Int64($0 + 1) }
        #expect((first + rest).map(\.sequence) == expected)
        #expect(try await log.records(of: Tenant(issuer: AuditFixture.issuer(of: "nobody"), tenantID: "nobody", kind: .tenant)).isEmpty)
        var visited: [Int64] = []
        try await log.forEach(batchSize: 7) { visited.append($0.sequence) }
        #expect(visited == Array(1...30))
        #expect(try await log.lastSequence() == 30)
    }

    @Test("A tenant is (issuer, tid): the same tid under another issuer, or claimed by a refused token, reads nothing")
    func tenantIsIssuerAndTenantID() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        var enterprise = AuditFixture.record(0, tenant: "contoso")
        enterprise.tenantIssuer = "https://login.example.com/contoso"
        // A consumer-realm token whose tid names the enterprise tenant, verified under its own issuer.
        var squatter = AuditFixture.record(1, tenant: "contoso")
        squatter.tenantIssuer = "https://login.example.com/consumers"
        squatter.tokenIssuer = squatter.tenantIssuer
        // A forged token refused by the verifier: it claims the enterprise tenant and issuer.
        var forged = AuditFixture.record(2, tenant: "contoso")
        (forged.verdict, forged.rejectionCode, forged.attribution) = (.denied, "issuer_key_mismatch", .unverified)
        let composed = AuditFixture.record(3, tenant: "caf\u{E9}")
        try await log.appendAlone([enterprise, squatter, forged, composed])
        let contoso = Tenant(issuer: "https://login.example.com/contoso", tenantID: "contoso", kind: .tenant)
        #expect(try await log.records(of: contoso).map(\.sequence) == [1])
        let consumers = Tenant(issuer: "https://login.example.com/consumers", tenantID: "contoso", kind: .consumer)
        #expect(try await log.records(of: consumers).map(\.sequence) == [2])
        // Exact bytes: a tid canonically equivalent to another (e + U+0301 for U+00E9) is another tenant.
        let issuer = AuditFixture.issuer(of: "caf\u{E9}")
        #expect(try await log.records(of: Tenant(issuer: issuer, tenantID: "caf\u{E9}", kind: .tenant)).map(\.sequence) == [4])
        #expect(try await log.records(of: Tenant(issuer: issuer, tenantID: "cafe\u{301}", kind: .tenant)).isEmpty)
    }

    @Test("Format 1 records (written before attribution) verify beside format 2 ones; only the allowed ones reach their tenant's feed")
    func format1Records() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        try await log.appendAlone((0..<5).map { AuditFixture.record($0, format1: true) } + (5..<10).map { AuditFixture.record($0) })
        let stored = try await log.records()
        #expect(stored.prefix(5).allSatisfy { $0.attribution == nil && $0.canonicalBytes[7] == 1 })
        #expect(stored.suffix(5).allSatisfy { $0.attribution != nil && $0.canonicalBytes[7] == 2 })
        #expect(try AuditFixture.verify(directory).isIntact)
        let contoso = Tenant(issuer: AuditFixture.issuer(of: "contoso"), tenantID: "contoso", kind: .tenant)
        // Records 4 and 9 (sequence 5 and 10) are refusals: neither format shows them.
        #expect(try await log.records(of: contoso).map(\.sequence) == [1, 2, 3, 4, 6, 7, 8, 9])
    }
}

/// Counts group-commit batches from the `onBatch` callback.
final class BatchCounter: Sendable {
    private let state = Mutex((commits: 0, appends: 0))
    func add(_ size: Int) { state.withLock { $0.commits += 1; $0.appends += size } }
    var commits: Int { state.withLock { $0.commits } }
    var appends: Int { state.withLock { $0.appends } }
}
