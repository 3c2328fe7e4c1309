import Foundation
import Keybound
import KeyboundStore

/// JSON and table renderings of store records. Private key material is never among them.
enum StoreOutput {
    static func time(_ date: Date?) -> JSONValue {
        date.map { .string($0.formatted(.iso8601)) } ?? .null
    }

    static func json(_ issuer: IssuerRecord) -> JSONObject {
        JSONObject([
            "id": .string(issuer.id), "url": .string(issuer.url), "kind": .string(issuer.kind.rawValue),
            "tenant_id": issuer.tenantID.map(JSONValue.string) ?? .null, "algorithm": .string(issuer.algorithm.rawValue),
            "rotation_period": .string(DurationText.text(issuer.rotationPeriod)),
            "publish_lead_time": .string(DurationText.text(issuer.publishLeadTime)),
            "maximum_token_lifetime": .string(DurationText.text(issuer.maximumTokenLifetime)),
            "maximum_key_age": .string(DurationText.text(issuer.maximumKeyAge)),
            "created_at": time(issuer.createdAt),
        ])
    }

    static func json(_ key: KeyRecord, now: Date) -> JSONObject {
        var object = JSONObject([
            "issuer": .string(key.issuerID), "kid": .string(key.keyID), "alg": .string(key.algorithm.rawValue),
            "state": .string(key.state.rawValue), "created_at": time(key.createdAt),
            "scheduled_activation": time(key.scheduledActivation), "activated_at": time(key.activatedAt),
            "deactivated_at": time(key.deactivatedAt), "verify_until": time(key.verifyUntil), "retired_at": time(key.retiredAt),
            "age": key.activatedAt.map { .string(DurationText.text(max(0, now.timeIntervalSince($0)))) } ?? .null,
            "initial": .bool(key.isInitial), "emergency_reason": key.emergencyReason.map(JSONValue.string) ?? .null,
        ])
        if key.state == .revoked {
            object["revoked_at"] = time(key.revokedAt)
            object["revocation_reason"] = key.revocationReason.map(JSONValue.string) ?? .null
            object["revoked_by"] = key.revokedBy.map(JSONValue.string) ?? .null
        }
        return object
    }

    static func json(_ transition: KeyTransition) -> JSONValue {
        switch transition {
        case .createInitialKey(let issuer): .string("\(issuer): initial key created and active")
        case .publishNextKey(let issuer, let at): .string("\(issuer): next key published, signs from \(at.formatted(.iso8601))")
        case .activate(let issuer, let kid, let emergency): .string("\(issuer): key \(kid) activated\(emergency.map { " (emergency: \($0))" } ?? "")")
        case .activateFreshKey(let issuer, let reason): .string("\(issuer): fresh key activated (emergency: \(reason))")
        case .retire(let issuer, let kid): .string("\(issuer): key \(kid) retired")
        }
    }

    /// A plain text table with padded columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
