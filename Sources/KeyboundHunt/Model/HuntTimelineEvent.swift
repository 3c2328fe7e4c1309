import Foundation

/// One line of the report's timeline: a key event, a group of findings for one token, a lead,
/// or the traced key's first and last sighting.
public struct HuntTimelineEvent: Sendable {
    /// The lanes of the timeline (JSON `lane`).
    public enum Lane: String, Sendable, CaseIterable {
        /// Key created, activated, made verify-only, retired or revoked.
        case keyEvent = "key_event"
        /// The traced key's first and last use.
        case keyUse = "key_use"
        /// Forged tokens.
        case forgedToken = "forged_token"
        /// Cross-issuer keys.
        case crossIssuer = "cross_issuer"
        /// Revoked or inactive keys.
        case revokedOrInactiveKey = "revoked_or_inactive_key"
        /// First-time access (leads, not verdicts).
        case firstTimeAccess = "first_time_access"

        /// A short title.
        public var title: String {
            switch self {
            case .keyEvent: "Key events"
            case .keyUse: "Traced key"
            case .forgedToken: "Forged tokens"
            case .crossIssuer: "Cross-issuer keys"
            case .revokedOrInactiveKey: "Revoked / inactive keys"
            case .firstTimeAccess: "First-time access (leads)"
            }
        }
    }

    /// When it happened (the first time, for a group).
    public var time: Date
    /// The last time, for a group of several records.
    public var lastTime: Date?
    /// How many records the line stands for (0 for key events).
    public var count: Int
    /// Its lane.
    public var lane: Lane
    /// What happened, one line.
    public var title: String
    /// The first record's sequence number, if a record.
    public var sequence: Int64?
    /// Whether it is a lead (not a verdict).
    public var isLead: Bool { lane == .firstTimeAccess }
}

extension HuntReport {
    /// The notable events in time order: key events in the window, findings grouped per token
    /// (kind and `jti`), leads, and the traced key's first and last use.
    public var timeline: [HuntTimelineEvent] {
        var events: [HuntTimelineEvent] = keyEvents.map { event in
            HuntTimelineEvent(time: event.at, count: 0, lane: .keyEvent,
                              title: "key \(event.keyID) of issuer \(event.issuerID) \(event.kind.rawValue) (\(event.actor): \(event.reason))")
        }
        var groups: [String: Int] = [:]
        for finding in findings {
            let record = finding.record
            let group = "\(finding.kind.rawValue)|\(record.tokenID ?? "#\(record.sequence)")"
            if let index = groups[group] {
                events[index].count += 1
                events[index].lastTime = max(events[index].lastTime ?? record.time, record.time)
                continue
            }
            groups[group] = events.count
            let lane: HuntTimelineEvent.Lane = switch finding.kind.category {
            case .forgedToken: .forgedToken
            case .crossIssuer: .crossIssuer
            case .revokedOrInactiveKey: .revokedOrInactiveKey
            }
            let target = [record.tenant.map { "tenant \($0)" }, record.resource.map { "resource \($0)" }].compactMap { $0 }.joined(separator: ", ")
            let what = "\(finding.kind.title) (\(finding.reasonCode)), \(finding.accepted ? "ACCEPTED" : "refused"): jti \(record.tokenID ?? "-"), iss \(record.tokenIssuer ?? "-"), kid \(record.tokenKeyID ?? "-"), client \(record.clientID ?? "-")"
            events.append(HuntTimelineEvent(time: record.time, count: 1, lane: lane, title: what + (target.isEmpty ? "" : ", \(target)"),
                                            sequence: record.sequence))
        }
        for lead in leads {
            events.append(HuntTimelineEvent(
                time: lead.record.time, count: 1, lane: .firstTimeAccess,
                title: "\(HuntLead.label): client \(lead.clientID) (\(lead.clientIssuer ?? "no iss")) first reads mailbox \(lead.mailbox) (tenant \(lead.tenant ?? "-"))",
                sequence: lead.record.sequence))
        }
        if let use = keyUse, let first = use.total.firstSeen, let last = use.total.lastSeen {
            events.append(HuntTimelineEvent(time: first, count: use.total.total, lane: .keyUse,
                                            title: "traced key \(use.keyID) first seen (\(use.total.total) records in the window)"))
            events.append(HuntTimelineEvent(time: last, count: use.total.total, lane: .keyUse, title: "traced key \(use.keyID) last seen"))
        }
        return events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }
}
