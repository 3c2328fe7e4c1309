import Foundation
import KeyboundStore

/// One issuer's keys as the console shows them: each key's place in its lifecycle (pending,
/// active, verify-only, retired, revoked) with its dates, the next rotation, and age warnings.
struct ConsoleKeyTimeline {
    let issuer: IssuerRecord
    let keys: [KeyRecord]
    let now: Date

    /// Newest first, within each purpose.
    var ordered: [KeyRecord] {
        keys.sorted { ($0.purpose.rawValue, $1.createdAt) < ($1.purpose.rawValue, $0.createdAt) }
    }

    /// The active keys.
    var active: [KeyRecord] { keys.filter { $0.state == .active } }

    /// When the oldest active key is due to be replaced: its activation plus the rotation period.
    var nextRotation: Date? {
        active.compactMap { key in (key.activatedAt ?? key.createdAt).addingTimeInterval(issuer.rotationPeriod) }.min()
    }

    /// What an operator should act on: an active key past its rotation date or its maximum age,
    /// a purpose with no active key.
    var warnings: [String] {
        var warnings: [String] = []
        for key in active {
            let age = now.timeIntervalSince(key.activatedAt ?? key.createdAt)
            if age > issuer.maximumKeyAge {
                warnings.append("Key \(key.keyID) (\(key.purpose.rawValue)) is older than the maximum key age of \(Self.days(issuer.maximumKeyAge)) days.")
            } else if age > issuer.rotationPeriod {
                warnings.append("Key \(key.keyID) (\(key.purpose.rawValue)) is past its rotation date.")
            }
        }
        for purpose in KeyPurpose.allCases where !active.contains(where: { $0.purpose == purpose }) {
            warnings.append("No active key for \(purpose.rawValue).")
        }
        return warnings
    }

    /// The count of keys in each state, in lifecycle order: "1 active, 1 pending".
    var summary: String {
        let parts = KeyState.allCases.compactMap { state -> String? in
            let count = keys.count { $0.state == state }
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }
        return parts.isEmpty ? "no keys" : parts.joined(separator: ", ")
    }

    /// The `issuer` template's values.
    var context: [String: Any] {
        var context: [String: Any] = [
            "id": issuer.id, "kind": issuer.kind.rawValue, "url": issuer.url,
            "rotationDays": Self.days(issuer.rotationPeriod), "maximumKeyAgeDays": Self.days(issuer.maximumKeyAge),
            "warnings": warnings,
            "keys": ordered.map(row),
        ]
        if let tenantID = issuer.tenantID { context["tenantID"] = tenantID }
        if let nextRotation { context["nextRotation"] = Self.time(nextRotation) }
        return context
    }

    /// One key's row of the `issuer` template.
    func row(_ key: KeyRecord) -> [String: Any] {
        var row: [String: Any] = [
            "kid": key.keyID, "purpose": key.purpose.rawValue, "algorithm": key.algorithm.rawValue, "state": key.state.rawValue,
            "created": Self.time(key.createdAt), "activated": Self.time(key.activatedAt ?? key.scheduledActivation),
            "deactivated": Self.time(key.deactivatedAt), "verifyUntil": Self.time(key.verifyUntil),
            "ended": Self.time(key.revokedAt ?? key.retiredAt),
        ]
        if let reason = key.revocationReason { row["reason"] = "revoked: \(reason)" }
        return row
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return date.formatted(.iso8601)
    }

    static func days(_ interval: TimeInterval) -> String {
        let days = interval / 86_400
        return days == days.rounded() ? String(Int(days)) : String(format: "%.1f", days)
    }
}
