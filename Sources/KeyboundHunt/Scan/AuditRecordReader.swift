import Foundation
internal import GRDB
import Keybound
import KeyboundAudit

/// Reads whole audit records by sequence number, for the few the scan flagged. Every column is
/// read defensively: a value of an unexpected type becomes `nil`, never a crash.
enum AuditRecordReader {
    /// The records with these sequence numbers (missing ones are left out).
    static func records(_ db: Database, sequences: Set<Int64>) throws -> [Int64: AuditRecord] {
        let statement = try db.makeStatement(sql: "SELECT * FROM audit_record WHERE sequence = ?")
        var result: [Int64: AuditRecord] = [:]
        for sequence in sequences.sorted() {
            if let row = try Row.fetchOne(statement, arguments: [sequence]) { result[sequence] = record(row) }
        }
        return result
    }

    static func record(_ row: Row) -> AuditRecord {
        func text(_ name: String) -> String? {
            switch (row[name] as DatabaseValue).storage {
            case .string(let value): value
            case .int64(let value): String(value)
            case .double(let value): String(value)
            case .blob, .null: nil
            }
        }
        func integer(_ name: String) -> Int64? {
            if case .int64(let value) = (row[name] as DatabaseValue).storage { return value }
            return nil
        }
        func list(_ name: String) -> [String]? {
            guard let text = text(name), case .array(let items)? = try? StrictJSONParser.parse(Array(text.utf8)) else { return nil }
            return items.compactMap(\.stringValue)
        }
        func date(_ name: String) -> Date? { integer(name).map(HuntTime.date(milliseconds:)) }
        var hash: [UInt8] = []
        if case .blob(let data) = (row["hash"] as DatabaseValue).storage { hash = Array(data) }
        return AuditRecord(
            time: date("time_ms") ?? Date(timeIntervalSince1970: 0), tenant: text("tenant"), resource: text("mailbox"),
            operation: text("operation") ?? "", itemIDs: list("item_ids") ?? [], clientID: text("client_id"),
            clientIP: text("client_ip"), userAgent: text("user_agent"), sessionID: text("session_id"),
            tokenIssuer: text("token_iss"), tokenKeyID: text("token_kid"), tokenID: text("token_jti"),
            tokenSubject: text("token_sub"), tokenAudience: list("token_aud"), tokenScope: text("token_scope"),
            tokenRoles: list("token_roles"), tokenIssuedAt: date("token_iat_ms"), tokenExpiresAt: date("token_exp_ms"),
            claimsDigest: text("claims_digest"), verdict: text("verdict") == "allowed" ? .allowed : .denied,
            rejectionCode: text("rejection_code"), tenantIssuer: text("tenant_issuer"),
            attribution: text("attribution").flatMap(AuditRecord.Attribution.init(rawValue:)), attemptCount: integer("attempt_count"),
            resourceServer: row.hasColumn("resource_server") ? text("resource_server") : nil, sequence: integer("sequence") ?? 0, hash: hash)
    }
}
