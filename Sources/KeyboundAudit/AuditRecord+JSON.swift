import Foundation
import Keybound

extension AuditRecord {
    /// The record as a JSON object for APIs and reports: every field under a snake_case name,
    /// times as ISO 8601 with milliseconds, the chain hash in lowercase hex; absent fields omitted.
    public var jsonObject: JSONObject {
        var object = JSONObject([
            "sequence": .number(Double(sequence)), "hash": .string(Hex.encode(hash)),
            "time": .string(Self.iso8601(time)), "operation": .string(operation), "verdict": .string(verdict.rawValue),
        ])
        func put(_ name: String, _ value: String?) { if let value { object[name] = .string(value) } }
        func put(_ name: String, _ values: [String]?) { if let values { object[name] = .array(values.map(JSONValue.string)) } }
        func put(_ name: String, _ date: Date?) { if let date { object[name] = .string(Self.iso8601(date)) } }
        put("tenant", tenant)
        put("tenant_issuer", tenantIssuer)
        put("attribution", attribution?.rawValue)
        if let attemptCount { object["attempt_count"] = .number(Double(attemptCount)) }
        put("resource", resource)
        put("resource_server", resourceServer)
        if !itemIDs.isEmpty { put("item_ids", itemIDs) }
        put("client_id", clientID)
        put("client_ip", clientIP)
        put("user_agent", userAgent)
        put("session_id", sessionID)
        put("token_iss", tokenIssuer)
        put("token_kid", tokenKeyID)
        put("token_jti", tokenID)
        put("token_sub", tokenSubject)
        put("token_aud", tokenAudience)
        put("token_scope", tokenScope)
        put("token_roles", tokenRoles)
        put("token_iat", tokenIssuedAt)
        put("token_exp", tokenExpiresAt)
        put("claims_digest", claimsDigest)
        put("rejection_code", rejectionCode)
        return object
    }

    static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
