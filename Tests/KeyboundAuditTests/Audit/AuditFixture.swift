import Foundation
import GRDB
import Testing
@testable import KeyboundAudit

/// Audit logs in temporary directories, sample records, and tampering on copies.
enum AuditFixture {
    /// 2027-01-15T08:00:00Z: records are stamped from here on, one second apart.
    static let baseTime = Date(timeIntervalSince1970: 1_800_000_000)

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func cleanUp(_ urls: URL...) {
        for url in urls { try? FileManager.default.removeItem(at: url) }
    }

    /// The issuer of `tenant`'s tokens in the fixture's records.
    static func issuer(of tenant: String) -> String { "https://login.example.com/\(tenant)" }

    /// Record number `index`: allowed with a full (verified) token, every fifth one denied without a
    /// token (unverified). `format1` leaves out the fields format 2 added, as records written before it.
    static func record(_ index: Int, tenant: String = "contoso", time: Date? = nil, format1: Bool = false) -> AuditRecord {
        let time = time ?? baseTime.addingTimeInterval(Double(index))
        if index % 5 == 4 {
            return AuditRecord(
                time: time, tenant: tenant, resource: "mallory@\(tenant).example", operation: "messages.read",
                itemIDs: ["msg-\(index)"], clientID: nil, clientIP: "203.0.113.\(index % 250)", userAgent: "curl/8.5",
                sessionID: nil, tokenIssuer: nil, tokenKeyID: nil, tokenID: nil, tokenSubject: nil, tokenAudience: nil,
                tokenScope: nil, tokenRoles: nil, tokenIssuedAt: nil, tokenExpiresAt: nil, claimsDigest: nil,
                verdict: .denied, rejectionCode: "malformed_token", attribution: format1 ? nil : .unverified)
        }
        return AuditRecord(
            time: time, tenant: tenant, resource: "alice@\(tenant).example", operation: "messages.list",
            itemIDs: ["msg-\(index)", "msg-\(index + 1)"], clientID: "mail-app", clientIP: "198.51.100.\(index % 250)",
            userAgent: "KeyboundMail/1.0", sessionID: "sid-\(index / 10)", tokenIssuer: issuer(of: tenant),
            tokenKeyID: "kid-1", tokenID: "jti-\(index)", tokenSubject: "alice", tokenAudience: ["api://mail"],
            tokenScope: "Mail.Read", tokenRoles: [], tokenIssuedAt: time.addingTimeInterval(-60),
            tokenExpiresAt: time.addingTimeInterval(3_540), claimsDigest: String(repeating: "ab", count: 32),
            verdict: .allowed, rejectionCode: nil, tenantIssuer: format1 ? nil : issuer(of: tenant), attribution: format1 ? nil : .verified)
    }

    /// A log in a fresh directory with `count` records appended in batches of 10.
    static func log(count: Int, checkpointInterval: Int = 10, tenant: String = "contoso") throws -> (URL, AuditLog) {
        let directory = try temporaryDirectory()
        let log = try AuditLog(directory: directory, configuration: AuditConfiguration(checkpointInterval: checkpointInterval))
        var index = 0
        while index < count {
            let batch = (index..<min(count, index + 10)).map { record($0, tenant: tenant) }
            try log.appendNow(batch)
            index += batch.count
        }
        return (directory, log)
    }

    /// A copy of the log directory (the database and its WAL; SQLite rebuilds the WAL index), with
    /// every trigger dropped and `body` applied to it through raw SQL.
    static func tamperedCopy(of directory: URL, _ body: (Database) throws -> Void) throws -> URL {
        let copy = try temporaryDirectory()
        for name in [AuditLog.fileName, AuditLog.fileName + "-wal", AuditSigningKey.fileName] {
            let source = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: source.path) {
                try FileManager.default.copyItem(at: source, to: copy.appendingPathComponent(name))
            }
        }
        let queue = try DatabaseQueue(path: copy.appendingPathComponent(AuditLog.fileName).path)
        try queue.writeWithoutTransaction { db in
            for trigger in AuditSchema.triggerNames { try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)") }
            try body(db)
        }
        try queue.close()
        return copy
    }

    /// Tampers with the log in `directory` in place, under a log that is open (WAL), its
    /// append-only triggers dropped first.
    static func tamperInPlace(_ directory: URL, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent(AuditLog.fileName).path)
        try queue.writeWithoutTransaction { db in
            for trigger in AuditSchema.triggerNames { try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)") }
            try body(db)
        }
        try queue.close()
    }

    /// Runs `sql` in its own transaction (synchronously, whatever the caller's context).
    static func execute(_ queue: DatabaseQueue, _ sql: String) throws {
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The stored row of record `sequence`.
    static func row(_ db: Database, _ sequence: Int64) throws -> Row {
        try #require(try Row.fetchOne(db, sql: "SELECT * FROM audit_record WHERE sequence = ?", arguments: [sequence]))
    }

    /// Inserts a record row with `fields` at `sequence`, with `hash`.
    static func insertRow(_ db: Database, sequence: Int64, fields: [CanonicalField], hash: [UInt8]) throws {
        try db.execute(sql: SQLiteAuditStorage.insertSQL, arguments: AuditStoredFields.arguments(sequence: sequence, fields: fields, hash: hash))
    }

    /// Moves records `from...` up by `offset` (through negative numbers, so the primary key never collides).
    static func renumber(_ db: Database, from sequence: Int64, by offset: Int64) throws {
        try db.execute(sql: "UPDATE audit_record SET sequence = -sequence WHERE sequence >= ?", arguments: [sequence])
        try db.execute(sql: "UPDATE audit_record SET sequence = -sequence + ? WHERE sequence < 0", arguments: [offset])
    }

    /// The verifier's report on `directory`.
    static func verify(_ directory: URL, trustedKeyID: String? = nil, anchor: AuditCheckpoint? = nil) throws -> AuditVerificationReport {
        try AuditVerifier.verify(directory: directory, trustedKeyID: trustedKeyID, anchor: anchor)
    }
}
