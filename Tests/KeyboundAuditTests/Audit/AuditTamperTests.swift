import Foundation
import GRDB
import Testing
@testable import KeyboundAudit

/// Every tampering is done with raw SQL on a copy of a log (triggers dropped), then verified.
/// The log has 45 records and checkpoints every 10: segments 1–4 are signed, 41–45 are the tail.
@Suite("Audit verify: tampering is detected and located")
struct AuditTamperTests {
    let directory: URL
    let log: AuditLog

    init() throws {
        let made = try AuditFixture.log(count: 45)
        directory = made.0
        log = made.1
    }

    private func problem(_ tamper: (Database) throws -> Void) throws -> AuditProblem? {
        let copy = try AuditFixture.tamperedCopy(of: directory, tamper)
        defer { AuditFixture.cleanUp(copy) }
        return try AuditFixture.verify(copy).problem
    }

    @Test("The untouched log and an untouched copy are intact")
    func intact() throws {
        defer { AuditFixture.cleanUp(directory) }
        let report = try AuditFixture.verify(directory)
        #expect(report.isIntact, "\(report.summary)")
        #expect(report.recordsChecked == 45 && report.checkpointsChecked == 4 && report.uncheckpointedRecords == 5)
        #expect(try problem { _ in } == nil)
    }

    @Test("A changed field is 'record k was changed', inside a segment, at a segment's end and in the tail")
    func changedField() throws {
        defer { AuditFixture.cleanUp(directory) }
        for sequence: Int64 in [1, 17, 20, 43, 45] {
            let found = try problem { db in
                try db.execute(sql: "UPDATE audit_record SET user_agent = 'innocent' WHERE sequence = ?", arguments: [sequence])
            }
            #expect(found == .recordChanged(sequence: sequence))
            #expect(found?.description == "record \(sequence) was changed")
        }
        // Verdict flipped from denied to allowed, and a rejection code erased.
        #expect(try problem { db in
            try db.execute(sql: "UPDATE audit_record SET verdict = 'allowed', rejection_code = NULL WHERE sequence = 15")
        } == .recordChanged(sequence: 15))
        // A value of another type (an integer where text was), and a list replaced by garbage.
        #expect(try problem { db in try db.execute(sql: "UPDATE audit_record SET tenant = 42 WHERE sequence = 8") } == .recordChanged(sequence: 8))
        #expect(try problem { db in try db.execute(sql: "UPDATE audit_record SET item_ids = '[1' WHERE sequence = 9") } == .recordChanged(sequence: 9))
    }

    @Test("A stored hash altered (fields untouched) is 'record k was changed'")
    func changedHash() throws {
        defer { AuditFixture.cleanUp(directory) }
        #expect(try problem { db in
            try db.execute(sql: "UPDATE audit_record SET hash = zeroblob(32) WHERE sequence = 12")
        } == .recordChanged(sequence: 12))
    }

    @Test("A deleted record is 'record k is missing (deleted)', with or without renumbering the rest")
    func deleted() throws {
        defer { AuditFixture.cleanUp(directory) }
        let plain = try problem { db in try db.execute(sql: "DELETE FROM audit_record WHERE sequence = 23") }
        #expect(plain == .recordMissing(sequence: 23, count: 1))
        #expect(plain?.description == "record 23 is missing (deleted)")
        #expect(try problem { db in try db.execute(sql: "DELETE FROM audit_record WHERE sequence BETWEEN 5 AND 7") }
            == .recordMissing(sequence: 5, count: 3))
        // Renumbered so the sequence has no gap.
        #expect(try problem { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE sequence = 23")
            try AuditFixture.renumber(db, from: 24, by: -1)
        } == .recordMissing(sequence: 23, count: 1))
        #expect(try problem { db in
            try db.execute(sql: "DELETE FROM audit_record WHERE sequence IN (33, 34)")
            try AuditFixture.renumber(db, from: 35, by: -2)
        } == .recordMissing(sequence: 33, count: 2))
        // The oldest records, without a signed prune record: not a pruning.
        #expect(try problem { db in try db.execute(sql: "DELETE FROM audit_record WHERE sequence <= 10") }
            == .recordMissing(sequence: 1, count: 10))
        // Cut from the end, where a checkpoint still covers them.
        #expect(try problem { db in try db.execute(sql: "DELETE FROM audit_record WHERE sequence >= 38") }
            == .recordMissing(sequence: 38, count: 3))
    }

    @Test("A forged record is 'record k was inserted / does not belong', whether or not its hash was computed")
    func inserted() throws {
        defer { AuditFixture.cleanUp(directory) }
        var forged = AuditFixture.record(999)
        forged.tokenSubject = "attacker"
        forged = forged.normalized(AuditConfiguration())
        // With a correct chain hash after record 16, the later records renumbered to make room.
        let chained = try problem { db in
            let previous = AuditStoredFields.hash(try AuditFixture.row(db, 16))
            try AuditFixture.renumber(db, from: 17, by: 1)
            try AuditFixture.insertRow(db, sequence: 17, fields: forged.canonicalFields,
                                       hash: AuditCanonical.hash(previous: previous, sequence: 17, fields: forged.canonicalFields))
        }
        #expect(chained == .recordInserted(sequence: 17))
        #expect(chained?.description == "record 17 was inserted / does not belong")
        // With a made-up hash.
        #expect(try problem { db in
            try AuditFixture.renumber(db, from: 17, by: 1)
            try AuditFixture.insertRow(db, sequence: 17, fields: forged.canonicalFields, hash: Array(repeating: 7, count: 32))
        } == .recordInserted(sequence: 17))
        // At a segment's last place, with a correct hash: the checkpoint gives it away.
        #expect(try problem { db in
            let previous = AuditStoredFields.hash(try AuditFixture.row(db, 19))
            try AuditFixture.renumber(db, from: 20, by: 1)
            try AuditFixture.insertRow(db, sequence: 20, fields: forged.canonicalFields,
                                       hash: AuditCanonical.hash(previous: previous, sequence: 20, fields: forged.canonicalFields))
        } == .recordInserted(sequence: 20))
        // A copy of a genuine row under a pruned number is not part of the retained log.
        #expect(try problem { db in
            try AuditFixture.insertRow(db, sequence: 0, fields: forged.canonicalFields, hash: Array(repeating: 1, count: 32))
        } == .recordInserted(sequence: 0))
    }

    @Test("Swapped sequence numbers are 'records a and b are out of order'")
    func reordered() throws {
        defer { AuditFixture.cleanUp(directory) }
        func swap(_ db: Database, _ first: Int64, _ second: Int64) throws {
            try db.execute(sql: "UPDATE audit_record SET sequence = -1 WHERE sequence = ?", arguments: [first])
            try db.execute(sql: "UPDATE audit_record SET sequence = ? WHERE sequence = ?", arguments: [first, second])
            try db.execute(sql: "UPDATE audit_record SET sequence = ? WHERE sequence = -1", arguments: [second])
        }
        let adjacent = try problem { db in try swap(db, 26, 27) }
        #expect(adjacent == .recordsReordered(first: 26, second: 27))
        #expect(adjacent?.description == "records 26 and 27 are out of order")
        #expect(try problem { db in try swap(db, 11, 15) } == .recordsReordered(first: 11, second: 15))
        // Across a checkpoint boundary, and in the unsigned tail.
        #expect(try problem { db in try swap(db, 20, 21) } == .recordsReordered(first: 20, second: 21))
        #expect(try problem { db in try swap(db, 44, 45) } == .recordsReordered(first: 44, second: 45))
    }

    @Test("A change with every later hash of the segment recomputed is caught by the segment's checkpoint")
    func rewrittenChain() throws {
        defer { AuditFixture.cleanUp(directory) }
        let found = try problem { db in
            try db.execute(sql: "UPDATE audit_record SET verdict = 'allowed', rejection_code = NULL WHERE sequence = 25")
            var previous = AuditStoredFields.hash(try AuditFixture.row(db, 24))
            for sequence: Int64 in 25...45 {
                let fields = AuditStoredFields.fields(try AuditFixture.row(db, sequence))
                previous = AuditCanonical.hash(previous: previous, sequence: sequence, fields: fields)
                try db.execute(sql: "UPDATE audit_record SET hash = ? WHERE sequence = ?", arguments: [Data(previous), sequence])
            }
        }
        #expect(found == .checkpointMismatch(segment: 3, firstSequence: 21, lastSequence: 30))
        #expect(found?.description.hasPrefix("checkpoint 3 does not match records 21 to 30") == true)
    }

    @Test("A checkpoint's signature or signed content altered is 'checkpoint k signature invalid'; a deleted checkpoint is missing")
    func checkpoints() throws {
        defer { AuditFixture.cleanUp(directory) }
        let signature = try problem { db in
            let stored = try #require(try Data.fetchOne(db, sql: "SELECT signature FROM audit_checkpoint WHERE segment = 2"))
            var bytes = Array(stored)
            bytes[5] ^= 0x01
            try db.execute(sql: "UPDATE audit_checkpoint SET signature = ? WHERE segment = 2", arguments: [Data(bytes)])
        }
        #expect(signature == .checkpointSignatureInvalid(segment: 2))
        #expect(signature?.description == "checkpoint 2 signature invalid")
        #expect(try problem { db in
            try db.execute(sql: "UPDATE audit_checkpoint SET last_hash = zeroblob(32) WHERE segment = 3")
        } == .checkpointSignatureInvalid(segment: 3))
        #expect(try problem { db in
            try db.execute(sql: "UPDATE audit_checkpoint SET newest_record_ms = 0 WHERE segment = 1")
        } == .checkpointSignatureInvalid(segment: 1))
        #expect(try problem { db in try db.execute(sql: "DELETE FROM audit_checkpoint WHERE segment = 2") }
            == .checkpointMissing(segment: 2))
        // A record problem before the bad checkpoint is reported first.
        #expect(try problem { db in
            try db.execute(sql: "UPDATE audit_checkpoint SET signature = zeroblob(64) WHERE segment = 3")
            try db.execute(sql: "UPDATE audit_record SET mailbox = 'x' WHERE sequence = 4")
        } == .recordChanged(sequence: 4))
    }

    @Test("A log re-signed with another key is caught by pinning the key id; a forged key row does not count")
    func replacedKey() throws {
        defer { AuditFixture.cleanUp(directory) }
        let attacker = AuditSigningKey.generate()
        let copy = try AuditFixture.tamperedCopy(of: directory) { db in
            try db.execute(sql: "INSERT INTO audit_key (key_id, algorithm, public_key, created_at_ms) VALUES (?, 'Ed25519', ?, 0)",
                           arguments: [attacker.publicKey.keyID, Data(attacker.publicKey.rawRepresentation)])
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY segment")
            for row in rows {
                var checkpoint = AuditCheckpoint(row: row)
                checkpoint.keyID = attacker.publicKey.keyID
                checkpoint.signature = try attacker.sign(checkpoint.signedBytes)
                try db.execute(sql: "UPDATE audit_checkpoint SET key_id = ?, signature = ? WHERE segment = ?",
                               arguments: [checkpoint.keyID, Data(checkpoint.signature), checkpoint.segment])
            }
        }
        defer { AuditFixture.cleanUp(copy) }
        // Without a pin the re-signed log is self-consistent: the documented limit.
        #expect(try AuditFixture.verify(copy).isIntact)
        #expect(try AuditFixture.verify(copy, trustedKeyID: try #require(log.publicKey).keyID).problem
            == .checkpointUntrustedKey(segment: 1, keyID: attacker.publicKey.keyID))
        // A key row whose id is not its key's thumbprint is ignored.
        #expect(try problem { db in
            try db.execute(sql: "INSERT INTO audit_key (key_id, algorithm, public_key, created_at_ms) VALUES ('forged', 'Ed25519', ?, 0)",
                           arguments: [Data(attacker.publicKey.rawRepresentation)])
            try db.execute(sql: "UPDATE audit_checkpoint SET key_id = 'forged' WHERE segment = 4")
        } == .checkpointUntrustedKey(segment: 4, keyID: "forged"))
    }

    @Test("An exported checkpoint anchors the tail: cutting records and their checkpoint is detected with it, not without")
    func anchor() async throws {
        defer { AuditFixture.cleanUp(directory) }
        let anchor = try #require(try await log.checkpoint())
        #expect(anchor.segment == 5)
        #expect(try AuditFixture.verify(directory, anchor: anchor).isIntact)
        let parsed = try #require(AuditCheckpoint(json: anchor.jsonObject))
        #expect(parsed == anchor)
        let copy = try AuditFixture.tamperedCopy(of: directory) { db in
            try db.execute(sql: "DELETE FROM audit_checkpoint WHERE segment >= 4")
            try db.execute(sql: "DELETE FROM audit_record WHERE sequence > 30")
        }
        defer { AuditFixture.cleanUp(copy) }
        #expect(try AuditFixture.verify(copy).isIntact)
        let found = try AuditFixture.verify(copy, anchor: anchor).problem
        #expect(found?.code == "anchor_mismatch" && found?.segment == 5)
    }

    @Test("A database that lost its tables or does not exist")
    func structure() throws {
        defer { AuditFixture.cleanUp(directory) }
        #expect(try problem { db in try db.execute(sql: "DROP TABLE audit_checkpoint") } == .structure("table audit_checkpoint is missing"))
        let nowhere = directory.appendingPathComponent("nothing-here")
        #expect(throws: AuditError.self) { try AuditVerifier.verify(directory: nowhere) }
    }
}
