import Foundation
import Keybound

/// The record columns in canonical order, with the kind of value each holds.
enum AuditColumns {
    enum Kind { case text, integer, list }

    /// The fields after the sequence number, in the order they are hashed: the 21 of format 1,
    /// then the 3 format 2 added (``format1Count``), then the one format 3 added
    /// (``format2Count``). The third column keeps its stored name `mailbox` (renaming it would
    /// break older nodes during a rolling upgrade); the record calls the field `resource`.
    static let all: [(name: String, kind: Kind)] = [
        ("time_ms", .integer), ("tenant", .text), ("mailbox", .text), ("operation", .text), ("item_ids", .list),
        ("client_id", .text), ("client_ip", .text), ("user_agent", .text), ("session_id", .text),
        ("token_iss", .text), ("token_kid", .text), ("token_jti", .text), ("token_sub", .text), ("token_aud", .list),
        ("token_scope", .text), ("token_roles", .list), ("token_iat_ms", .integer), ("token_exp_ms", .integer),
        ("claims_digest", .text), ("verdict", .text), ("rejection_code", .text),
        ("tenant_issuer", .text), ("attribution", .text), ("attempt_count", .integer),
        ("resource_server", .text),
    ]

    /// How many fields a format 1 record hashes.
    static let format1Count = 21

    /// How many fields a format 2 record hashes.
    static let format2Count = 24

    /// `time_ms, tenant, …, rejection_code`.
    static let names = all.map(\.name).joined(separator: ", ")
}

/// Millisecond times: the stored and hashed form of every date in a record.
enum AuditTime {
    /// Dates are clamped to ±8.64e15 ms (±100 million days), where a millisecond survives a round trip through `Date`.
    static let limit: Int64 = 8_640_000_000_000_000

    /// Milliseconds since 1970, rounded, clamped to ±``limit``.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000).rounded()
        guard !value.isNaN else { return 0 }
        if value >= Double(limit) { return limit }
        if value <= -Double(limit) { return -limit }
        return Int64(value)
    }

    /// The date `milliseconds` after 1970.
    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }
}

extension AuditRecord {
    /// The record as the log stores and hashes it: times to the millisecond, NUL replaced by U+FFFD,
    /// long strings cut at `maximumFieldBytes` and long lists at `maximumListCount`.
    func normalized(_ configuration: AuditConfiguration) -> AuditRecord {
        func text(_ value: String) -> String { AuditRecord.normalizedText(value, maximumBytes: configuration.maximumFieldBytes) }
        func optional(_ value: String?) -> String? { value.map(text) }
        func list(_ values: [String]) -> [String] {
            var result = values.prefix(configuration.maximumListCount).map(text)
            if values.count > configuration.maximumListCount {
                result[result.count - 1] = "…(+\(values.count - configuration.maximumListCount + 1) more)"
            }
            return result
        }
        var record = self
        record.time = AuditTime.date(AuditTime.milliseconds(time))
        record.tenant = optional(tenant)
        record.resource = optional(resource)
        record.resourceServer = optional(resourceServer)
        record.operation = text(operation)
        record.itemIDs = list(itemIDs)
        record.clientID = optional(clientID)
        record.clientIP = optional(clientIP)
        record.userAgent = optional(userAgent)
        record.sessionID = optional(sessionID)
        record.tokenIssuer = optional(tokenIssuer)
        record.tokenKeyID = optional(tokenKeyID)
        record.tokenID = optional(tokenID)
        record.tokenSubject = optional(tokenSubject)
        record.tokenAudience = tokenAudience.map(list)
        record.tokenScope = optional(tokenScope)
        record.tokenRoles = tokenRoles.map(list)
        record.tokenIssuedAt = tokenIssuedAt.map { AuditTime.date(AuditTime.milliseconds($0)) }
        record.tokenExpiresAt = tokenExpiresAt.map { AuditTime.date(AuditTime.milliseconds($0)) }
        record.claimsDigest = optional(claimsDigest)
        record.rejectionCode = optional(rejectionCode)
        record.tenantIssuer = optional(tenantIssuer)
        return record
    }

    static func normalizedText(_ value: String, maximumBytes: Int) -> String {
        // A byte scan: Foundation's `contains` on a String is far slower, and this runs for every field.
        var text = value.utf8.contains(0) ? String(value.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : Character($0) }) : value
        guard text.utf8.count > maximumBytes else { return text }
        let marker = "…"
        let budget = maximumBytes - marker.utf8.count
        var cut = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > budget { break }
            cut.append(character)
            used += size
        }
        text = cut + marker
        return text
    }

    /// The canonical fields, in ``AuditColumns/all`` order (of an already normalized record).
    var canonicalFields: [CanonicalField] {
        func text(_ value: String?) -> CanonicalField { value.map(CanonicalField.text) ?? .absent }
        func list(_ value: [String]?) -> CanonicalField { value.map(CanonicalField.list) ?? .absent }
        func instant(_ value: Date?) -> CanonicalField { value.map { .integer(AuditTime.milliseconds($0)) } ?? .absent }
        return [
            instant(time), text(tenant), text(resource), .text(operation), .list(itemIDs),
            text(clientID), text(clientIP), text(userAgent), text(sessionID),
            text(tokenIssuer), text(tokenKeyID), text(tokenID), text(tokenSubject), list(tokenAudience),
            text(tokenScope), list(tokenRoles), instant(tokenIssuedAt), instant(tokenExpiresAt),
            text(claimsDigest), .text(verdict.rawValue), text(rejectionCode),
            text(tenantIssuer), text(attribution?.rawValue), attemptCount.map(CanonicalField.integer) ?? .absent,
            text(resourceServer),
        ]
    }

    /// The canonical bytes hashed into the chain (see `docs/audit.md`).
    public var canonicalBytes: [UInt8] { AuditCanonical.bytes(sequence: sequence, fields: canonicalFields) }

    /// A record read back from stored fields. Values of an unexpected type (a tampered row) read as empty.
    init(sequence: Int64, fields: [CanonicalField], hash: [UInt8]) {
        func text(_ index: Int) -> String? { if case .text(let value) = fields[index] { value } else { nil } }
        func list(_ index: Int) -> [String]? { if case .list(let value) = fields[index] { value } else { nil } }
        func time(_ index: Int) -> Date? { if case .integer(let value) = fields[index] { AuditTime.date(value) } else { nil } }
        self.init(
            time: time(0) ?? Date(timeIntervalSince1970: 0), tenant: text(1), resource: text(2), operation: text(3) ?? "",
            itemIDs: list(4) ?? [], clientID: text(5), clientIP: text(6), userAgent: text(7), sessionID: text(8),
            tokenIssuer: text(9), tokenKeyID: text(10), tokenID: text(11), tokenSubject: text(12), tokenAudience: list(13),
            tokenScope: text(14), tokenRoles: list(15), tokenIssuedAt: time(16), tokenExpiresAt: time(17),
            claimsDigest: text(18), verdict: text(19).flatMap(Verdict.init(rawValue:)) ?? .denied, rejectionCode: text(20),
            tenantIssuer: text(21), attribution: text(22).flatMap(Attribution.init(rawValue:)),
            attemptCount: { if case .integer(let value) = fields[23] { value } else { nil } }(),
            resourceServer: text(24), sequence: sequence, hash: hash)
    }
}

extension AuditRecord {
    /// How a list field is stored (a compact JSON array of strings), for readers that scan stored
    /// values (the hunt).
    package static func storedListText(_ items: [String]) -> String { AuditStoredFields.listText(items) }
}
