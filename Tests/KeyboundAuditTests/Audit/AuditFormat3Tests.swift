import Foundation
import GRDB
import Keybound
@testable import KeyboundAudit
import Testing

/// Format 3: a record names any resource (`resource`, which was `mailbox`) and the resource server
/// that wrote it (`resource_server`). One chain holds records of all three formats.
@Suite("Audit log: record format 3 (resource, resource server) beside formats 1 and 2")
struct AuditFormat3Tests {
    static func files(_ index: Int) -> AuditRecord {
        var record = AuditFixture.record(index)
        record.resource = "drive/alice"
        record.operation = "files.read"
        record.resourceServer = "api://files"
        return record
    }

    @Test("A record with its resource server is encoded as format 3, and the resource server is hashed")
    func canonical() {
        var record = Self.files(1)
        record.sequence = 7
        #expect(record.canonicalBytes.starts(with: Array("KBAUDIT".utf8) + [3, 0, 0, 0, 0, 0, 0, 0, 7]))
        var other = record; other.resourceServer = "api://mail"
        var format2 = record; format2.resourceServer = nil
        #expect(Set([record, other, format2].map(\.canonicalBytes)).count == 3)
        #expect(format2.canonicalBytes[7] == 2)
        #expect(record.jsonObject["resource"]?.stringValue == "drive/alice")
        #expect(record.jsonObject["resource_server"]?.stringValue == "api://files")
        #expect(record.jsonObject["mailbox"] == nil)
    }

    @Test("One chain of format 1, 2 and 3 records verifies, and each reads back in its own format")
    func mixedChain() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        try await log.appendAlone((0..<3).map { AuditFixture.record($0, format1: true) } + (3..<6).map { AuditFixture.record($0) }
                                  + (6..<9).map(Self.files))
        let stored = try await log.records()
        #expect(stored.map { $0.canonicalBytes[7] } == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(stored.suffix(3).allSatisfy { $0.resourceServer == "api://files" && $0.resource == "drive/alice" })
        #expect(try AuditFixture.verify(directory).isIntact)
    }

    @Test("A file written before format 3 (no resource_server column) is verified read-only as it is, then migrated without a broken hash")
    func unmigratedFile() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        do {
            let log = try AuditLog(directory: directory)
            try await log.appendAlone((0..<12).map { AuditFixture.record($0) })
        }
        // Put the file back in the format 2 layout, as an older build left it.
        let queue = try DatabaseQueue(path: directory.appendingPathComponent(AuditLog.fileName).path)
        try await queue.write { db in
            try db.execute(sql: """
                ALTER TABLE audit_record DROP COLUMN resource_server;
                DELETE FROM grdb_migrations WHERE identifier = 'v3: resource server';
                """)
        }
        try queue.close()
        let before = try AuditFixture.verify(directory)
        #expect(before.isIntact)
        // Opening it as a log migrates it; the records keep their hashes and read their resource.
        let log = try AuditLog(directory: directory)
        try await log.appendAlone([Self.files(12)])
        let records = try await log.records()
        #expect(records.first?.resource == "alice@contoso.example")
        #expect(records.last?.resourceServer == "api://files")
        #expect(try AuditFixture.verify(directory).isIntact)
    }

    @Test("Changing a stored resource server breaks the chain at that record")
    func tamperedResourceServer() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        try await log.appendAlone((0..<4).map(Self.files))
        try await log.sqlitePool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_record_no_update")
            try db.execute(sql: "UPDATE audit_record SET resource_server = 'api://mail' WHERE sequence = 3")
        }
        let report = try AuditFixture.verify(directory)
        #expect(report.problem == .recordChanged(sequence: 3))
    }

    @Test("A tenant's feed for one resource server holds only that server's records; older records count as Keybound Mail's")
    func feedPerResourceServer() async throws {
        let directory = try AuditFixture.temporaryDirectory()
        defer { AuditFixture.cleanUp(directory) }
        let log = try AuditLog(directory: directory)
        var mail = AuditFixture.record(1)
        mail.resourceServer = "api://mail"
        try await log.appendAlone([AuditFixture.record(0), mail, Self.files(2), Self.files(3)])
        let contoso = Tenant(issuer: AuditFixture.issuer(of: "contoso"), tenantID: "contoso", kind: .tenant)
        #expect(try await log.records(of: contoso).map(\.sequence) == [1, 2, 3, 4])
        #expect(try await log.records(of: contoso, resourceServer: "api://mail").map(\.sequence) == [1, 2])
        #expect(try await log.records(of: contoso, resourceServer: "api://files").map(\.sequence) == [3, 4])
    }
}
