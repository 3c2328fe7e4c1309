import Foundation
import GRDB
import Testing
@testable import KeyboundAudit

@Suite("Audit retention: whole segments only, verify still proves the rest")
struct AuditRetentionTests {
    /// 35 records one hour apart from the base time; checkpoints every 10 (segments 1–3), tail 31–35.
    static func hourlyLog() throws -> (URL, AuditLog) {
        let directory = try AuditFixture.temporaryDirectory()
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: 10))
        try log.appendNow((1...35).map { AuditFixture.record($0, time: AuditFixture.baseTime.addingTimeInterval(Double($0 - 1) * 3_600)) })
        return (directory, log)
    }

    static func hours(_ count: Double) -> Date { AuditFixture.baseTime.addingTimeInterval(count * 3_600) }

    @Test("A cutoff inside segment 2 removes only segment 1; a later one removes 2 and 3 but never the unsigned tail")
    func wholeSegmentsOnly() async throws {
        let (directory, log) = try Self.hourlyLog()
        defer { AuditFixture.cleanUp(directory) }
        let first = try await log.prune(olderThan: Self.hours(15))
        #expect(first.segmentsRemoved == 1 && first.recordsRemoved == 10)
        #expect(first.pruneRecord?.throughSequence == 10 && first.pruneRecord?.throughSegment == 1)
        #expect(try await log.records().first?.sequence == 11)
        #expect(try await log.checkpoints().count == 3)
        var report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.segmentsPruned == 1 && report.firstSequence == 11 && report.recordsChecked == 25)

        // Nothing new is old enough: no prune record, nothing removed.
        let again = try await log.prune(olderThan: Self.hours(15))
        #expect(again.pruneRecord == nil && again.recordsRemoved == 0)

        let second = try await log.prune(olderThan: Self.hours(10_000))
        #expect(second.segmentsRemoved == 2 && second.recordsRemoved == 20 && second.pruneRecord?.id == 2)
        #expect(try await log.records().map(\.sequence) == Array(31...35))
        report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.segmentsPruned == 3 && report.firstSequence == 31 && report.uncheckpointedRecords == 5)
        #expect(try await log.pruneRecords().map(\.throughSequence) == [10, 30])
    }

    @Test("Appends continue the chain after pruning, even after every record was pruned")
    func appendAfterPrune() async throws {
        let (directory, log) = try Self.hourlyLog()
        defer { AuditFixture.cleanUp(directory) }
        try await log.checkpoint()
        let result = try await log.prune(olderThan: Self.hours(10_000))
        #expect(result.recordsRemoved == 35 && result.segmentsRemoved == 4)
        #expect(try await log.records().isEmpty)
        #expect(try await log.lastSequence() == 35)
        #expect(try AuditFixture.verify(directory).isIntact)
        let appended = try await log.append(AuditFixture.record(36))
        #expect(appended.sequence == 36)
        let report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.firstSequence == 36 && report.recordsChecked == 1)
    }

    @Test("Pruning stops at the first segment that is not entirely old, even if later ones are")
    func prefixOnly() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: 10))
        // Segment 1 holds one late record (a clock that jumped); segment 2 is entirely old.
        try log.appendNow((1...20).map { AuditFixture.record($0, time: Self.hours($0 == 5 ? 500 : Double($0))) })
        let result = try await log.prune(olderThan: Self.hours(100))
        #expect(result.recordsRemoved == 0 && result.pruneRecord == nil)
        #expect(try await log.records().count == 20)
    }

    @Test("pruneExpired uses the configured retention, 180 days by default")
    func defaultRetention() async throws {
        #expect(AuditConfiguration().retention == 180 * 86_400)
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let now = AuditFixture.baseTime
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: 10))
        try log.appendNow((1...10).map { AuditFixture.record($0, time: now.addingTimeInterval(-181 * 86_400 + Double($0))) })
        try log.appendNow((11...20).map { AuditFixture.record($0, time: now.addingTimeInterval(-179 * 86_400 + Double($0))) })
        let result = try await log.pruneExpired(now: now)
        #expect(result.segmentsRemoved == 1 && result.pruneRecord?.throughSequence == 10)
        #expect(AuditTime.milliseconds(result.pruneRecord!.cutoff) == AuditTime.milliseconds(now.addingTimeInterval(-180 * 86_400)))
        #expect(try AuditFixture.verify(directory).isIntact)
    }

    @Test("After pruning, tampering is still found; a deleted or forged prune record is not an excuse")
    func tamperingAfterPrune() async throws {
        let (directory, log) = try Self.hourlyLog()
        defer { AuditFixture.cleanUp(directory) }
        try await log.prune(olderThan: Self.hours(15))
        func problem(_ tamper: (Database) throws -> Void) throws -> AuditProblem? {
            let copy = try AuditFixture.tamperedCopy(of: directory, tamper)
            defer { AuditFixture.cleanUp(copy) }
            return try AuditFixture.verify(copy).problem
        }
        #expect(try problem { db in try db.execute(sql: "UPDATE audit_record SET client_ip = '10.0.0.1' WHERE sequence = 11") }
            == .recordChanged(sequence: 11))
        #expect(try problem { db in try db.execute(sql: "DELETE FROM audit_prune") } == .recordMissing(sequence: 1, count: 10))
        #expect(try problem { db in try db.execute(sql: "UPDATE audit_prune SET cutoff_ms = cutoff_ms + 1") }
            == .pruneRecordInvalid(id: 1, reason: "its signature is invalid"))
        // Segment 2 deleted under a forged (unsigned) prune record.
        #expect(try problem { db in
            try db.execute(sql: "INSERT INTO audit_prune SELECT 2, 2, 20, cutoff_ms, pruned_at_ms, key_id, signature FROM audit_prune WHERE id = 1")
            try db.execute(sql: "DELETE FROM audit_record WHERE sequence <= 20")
        } == .pruneRecordInvalid(id: 2, reason: "its signature is invalid"))
        // A pruned segment's checkpoint is still checked.
        #expect(try problem { db in try db.execute(sql: "UPDATE audit_checkpoint SET signature = zeroblob(64) WHERE segment = 1") }
            == .checkpointSignatureInvalid(segment: 1))
    }

    @Test("The database refuses to delete records no signed prune record covers")
    func deleteTrigger() async throws {
        let (directory, log) = try Self.hourlyLog()
        defer { AuditFixture.cleanUp(directory) }
        try await log.prune(olderThan: Self.hours(15))
        let queue = try DatabaseQueue(path: log.location)
        defer { try? queue.close() }
        #expect(throws: DatabaseError.self) { try AuditFixture.execute(queue, "DELETE FROM audit_record WHERE sequence = 11") }
        #expect(throws: DatabaseError.self) { try AuditFixture.execute(queue, "DELETE FROM audit_prune") }
        #expect(try await log.records().count == 25)
    }
}
