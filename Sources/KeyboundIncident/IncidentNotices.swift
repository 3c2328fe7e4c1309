import Crypto
import Foundation
import Keybound
import KeyboundAudit
import KeyboundHunt
import KeyboundStore

/// The written outcome of an incident: a timeline, the affected organisations and accounts, and
/// one notice per organisation (Markdown for people, JSON for systems).
struct IncidentNotices {
    /// One affected organisation, a tenant (issuer, tid), and what the attacker reached in it.
    struct Organisation {
        var tenant: Tenant
        /// The notice's file name (without extension), unique among the incident's notices.
        var fileName = ""
        var mailboxes: [String: (items: Set<String>, allowed: Int, denied: Int)] = [:]
        var firstSeen: Date?
        var lastSeen: Date?
        var attempts = 0
        var served = 0
        var codes: [String: Int] = [:]

        mutating func add(_ record: AuditRecord) {
            attempts += 1
            if record.verdict == .allowed { served += 1 }
            if let code = record.rejectionCode { codes[code, default: 0] += 1 }
            if firstSeen.map({ record.time < $0 }) ?? true { firstSeen = record.time }
            if lastSeen.map({ record.time > $0 }) ?? true { lastSeen = record.time }
            guard let mailbox = record.resource else { return }
            var entry = mailboxes[mailbox] ?? ([], 0, 0)
            if record.verdict == .allowed {
                entry.allowed += 1
                entry.items.formUnion(record.itemIDs)
            } else {
                entry.denied += 1
            }
            mailboxes[mailbox] = entry
        }
    }

    struct TimelineEntry {
        let at: Date
        let event: String
    }

    let record: IncidentRecord
    let report: HuntReport
    /// Organisations whose data a *verified* token reached or aimed at: each gets a notice.
    let organisations: [Organisation]
    /// Refused attempts by the tenant their unverified token claimed: evidence for the responder
    /// (in `affected.md`), never a notice, since anyone can write any tid into a refused token.
    let claimedOnly: [Organisation]
    let timeline: [TimelineEntry]
    let generatedAt: Date

    init(record: IncidentRecord, report: HuntReport, keyEvents: [KeyEvent], generatedAt: Date) {
        self.record = record
        self.report = report
        self.generatedAt = generatedAt
        var verified: [Tenant: Organisation] = [:], claimed: [Tenant: Organisation] = [:]
        for finding in report.findings {
            let record = finding.record
            if let tenant = record.verifiedTenant {
                verified[tenant, default: Organisation(tenant: tenant)].add(record)
            } else {
                let tenant = Tenant(issuer: record.tenantIssuer ?? record.tokenIssuer ?? "", tenantID: record.tenant ?? "", kind: .tenant)
                claimed[tenant, default: Organisation(tenant: tenant)].add(record)
            }
        }
        organisations = Self.named(Array(verified.values))
        claimedOnly = claimed.values.sorted(by: Self.order)
        var entries: [TimelineEntry] = []
        for event in keyEvents where event.keyID == record.keyID || (event.kind == .activated && event.keyID == record.freshKeyID) {
            entries.append(TimelineEntry(at: event.at, event: "key \(event.keyID) \(event.kind.rawValue) (\(event.actor): \(event.reason))"))
        }
        if let first = report.findings.min(by: { $0.record.time < $1.record.time }) {
            entries.append(TimelineEntry(at: first.record.time, event: "first malicious use: \(first.kind.title) at \(first.record.resource ?? "no resource") (\(first.reasonCode))"))
        }
        if let last = report.findings.max(by: { $0.record.time < $1.record.time }) {
            entries.append(TimelineEntry(at: last.record.time, event: "last malicious use: \(last.kind.title) at \(last.record.resource ?? "no resource") (\(last.reasonCode))"))
        }
        entries.append(TimelineEntry(at: record.openedAt, event: "incident \(record.id) opened: \(record.reason)"))
        for step in record.completed {
            entries.append(TimelineEntry(at: step.completedAt, event: "step \(step.step.rawValue): \(step.detail)"))
        }
        timeline = entries.sorted { $0.at < $1.at }
    }

    /// From the first malicious use to the key's revocation, if both are known.
    var containmentSeconds: TimeInterval? {
        guard let first = report.findings.map(\.record.time).min(), let revoked = record.keyRevokedAt else { return nil }
        return max(0, revoked.timeIntervalSince(first))
    }

    func write(to store: any IncidentStore) async throws(IncidentError) {
        let id = record.id
        try await store.write(timelineMarkdown, named: "timeline.md", incidentID: id)
        try await store.write(JSONWriter(prettyPrinted: true).string(.object(summaryJSON)) + "\n", named: "summary.json", incidentID: id)
        try await store.write(affectedMarkdown, named: "affected.md", incidentID: id)
        for organisation in organisations {
            try await store.write(notice(organisation), named: "notices/\(organisation.fileName).md", incidentID: id)
            try await store.write(JSONWriter(prettyPrinted: true).string(.object(noticeJSON(organisation))) + "\n",
                                  named: "notices/\(organisation.fileName).json", incidentID: id)
        }
    }

    static func order(_ lhs: Organisation, _ rhs: Organisation) -> Bool {
        (lhs.tenant.tenantID, lhs.tenant.issuer) < (rhs.tenant.tenantID, rhs.tenant.issuer)
    }

    /// Sorted, each with its file name: the tid, made safe; when two issuers' tenants share a tid,
    /// each name gets the first 8 hex digits of the SHA-256 of its issuer, so no notice overwrites another.
    static func named(_ organisations: [Organisation]) -> [Organisation] {
        let sorted = organisations.sorted(by: order)
        var count: [String: Int] = [:]
        for organisation in sorted { count[fileName(organisation.tenant.tenantID), default: 0] += 1 }
        return sorted.map { organisation in
            var named = organisation
            let base = fileName(organisation.tenant.tenantID)
            named.fileName = count[base, default: 0] > 1 ? "\(base)-\(SHA256.hash(data: Array(organisation.tenant.issuer.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined())" : base
            return named
        }
    }

    static func fileName(_ tenant: String) -> String {
        let safe = String(tenant.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" ? Character($0) : "_" })
        return safe.isEmpty ? "tenant" : String(safe.prefix(80))
    }

    static func time(_ date: Date?) -> String {
        date.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "—"
    }

    var timelineMarkdown: String {
        var lines = ["# Incident \(record.id): timeline", "",
                     "Key `\(record.keyID)` of issuer `\(record.issuerID)` (\(record.issuerURL)). Reason: \(record.reason).", ""]
        if let containment = containmentSeconds {
            lines.append("Containment: \(Self.duration(containment)) from the first malicious use to the key's revocation.")
            lines.append("")
        }
        lines.append("| Time (UTC) | Event |")
        lines.append("|---|---|")
        for entry in timeline { lines.append("| \(Self.time(entry.at)) | \(Self.cell(entry.event)) |") }
        return lines.joined(separator: "\n") + "\n"
    }

    var affectedMarkdown: String {
        var lines = ["# Incident \(record.id): affected organisations and accounts", ""]
        if organisations.isEmpty { lines.append("No organisation's data was reached or targeted with this key by a verified token.") }
        for organisation in organisations {
            lines.append("## Tenant `\(organisation.tenant.tenantID)` of `\(organisation.tenant.issuer)`")
            lines.append("")
            lines.append("\(organisation.attempts) malicious requests (\(organisation.served) served), \(Self.time(organisation.firstSeen)) to \(Self.time(organisation.lastSeen)).")
            lines.append("")
            for (mailbox, entry) in organisation.mailboxes.sorted(by: { $0.key < $1.key }) {
                lines.append("- `\(mailbox)`: \(entry.allowed) served, \(entry.denied) refused; items read: \(entry.items.isEmpty ? "none" : entry.items.sorted().joined(separator: ", "))")
            }
            lines.append("")
        }
        if !claimedOnly.isEmpty {
            lines += ["## Refused attempts that only claimed a tenant", "",
                      "These tokens were refused, so the tenant below is what each token claimed, not a fact: anyone can write any "
                        + "tid into a token the verifier refuses. They are evidence for the hunt; no notice is sent for them.", ""]
            for organisation in claimedOnly {
                let codes = organisation.codes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                lines.append("- claimed tenant `\(organisation.tenant.tenantID)` of `\(organisation.tenant.issuer)`: "
                             + "\(organisation.attempts) refused (\(codes)), \(Self.time(organisation.firstSeen)) to \(Self.time(organisation.lastSeen))")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func notice(_ organisation: Organisation) -> String {
        let served = organisation.served
        var lines = [
            "# Security notice for tenant \(organisation.tenant.tenantID)", "",
            "Identity system: `\(organisation.tenant.issuer)`.", "",
            "Incident \(record.id), written \(Self.time(generatedAt)).", "",
            "## What happened", "",
            "A signing key of the identity system `\(record.issuerID)` (key `\(record.keyID)`) was compromised. "
                + "Tokens made with it were presented to Keybound Mail for mailboxes of your organisation: "
                + "\(organisation.attempts) requests between \(Self.time(organisation.firstSeen)) and \(Self.time(organisation.lastSeen)).",
            "",
            served == 0
                ? "Every one of these requests was refused (\(organisation.codes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))). No mail was read."
                : "\(served) of these requests were served before the key was revoked. The mailboxes and items below were read.",
            "", "## Mailboxes and items", "",
        ]
        for (mailbox, entry) in organisation.mailboxes.sorted(by: { $0.key < $1.key }) {
            lines.append("- `\(mailbox)`: \(entry.allowed) requests served, \(entry.denied) refused" + (entry.items.isEmpty ? "" : "; items: \(entry.items.sorted().joined(separator: ", "))"))
        }
        lines += ["", "## What we did", "",
                  "- Revoked key `\(record.keyID)` at \(Self.time(record.keyRevokedAt)); every validator refuses it from that moment (the revocation is pushed to connected resource servers).",
                  "- The identity system now signs with a fresh key" + (record.freshKeyID.map { " (`\($0)`)" } ?? "") + ".",
                  "- Revoked \(record.tokensRevoked ?? 0) tokens signed with the compromised key and cut \(record.chainsRevoked ?? 0) refresh chains.",
                  "- Searched the whole audit log for every use of the key, forged tokens and cross-issuer attempts.",
                  "", "## What you need to do", "",
                  served == 0
                    ? "Nothing. No data of your organisation was read; legitimate users and applications keep working without any change."
                    : "Nothing is required to restore service: legitimate users and applications keep working. Please review the items listed above with their owners; they were read by someone who is not one of your users or applications.",
                  ""]
        return lines.joined(separator: "\n")
    }

    func noticeJSON(_ organisation: Organisation) -> JSONObject {
        JSONObject([
            "incident": .string(record.id), "tenant": .string(organisation.tenant.tenantID),
            "tenant_issuer": .string(organisation.tenant.issuer), "issuer": .string(record.issuerURL),
            "key_id": .string(record.keyID), "first_seen": .string(Self.time(organisation.firstSeen)),
            "last_seen": .string(Self.time(organisation.lastSeen)), "requests": .number(Double(organisation.attempts)),
            "served": .number(Double(organisation.served)),
            "mailboxes": .array(organisation.mailboxes.sorted { $0.key < $1.key }.map { mailbox, entry in
                .object(JSONObject(["mailbox": .string(mailbox), "served": .number(Double(entry.allowed)),
                                    "refused": .number(Double(entry.denied)), "items": .array(entry.items.sorted().map(JSONValue.string))]))
            }),
            "key_revoked_at": .string(Self.time(record.keyRevokedAt)),
            "fresh_key_id": record.freshKeyID.map(JSONValue.string) ?? .null,
            "action_required": .bool(false),
        ])
    }

    var summaryJSON: JSONObject {
        JSONObject([
            "incident": .string(record.id), "issuer_id": .string(record.issuerID), "issuer": .string(record.issuerURL),
            "key_id": .string(record.keyID), "reason": .string(record.reason), "opened_at": .string(Self.time(record.openedAt)),
            "key_revoked_at": .string(Self.time(record.keyRevokedAt)),
            "containment_seconds": containmentSeconds.map { .number($0.rounded()) } ?? .null,
            "malicious_findings": .number(Double(report.maliciousCount)), "leads": .number(Double(report.leadCount)),
            "tokens_revoked": .number(Double(record.tokensRevoked ?? 0)), "chains_revoked": .number(Double(record.chainsRevoked ?? 0)),
            "organisations": .array(organisations.map { .object(JSONObject(["tenant": .string($0.tenant.tenantID),
                                                                               "tenant_issuer": .string($0.tenant.issuer),
                                                                               "notice": .string($0.fileName)])) }),
            "refused_claims": .number(Double(claimedOnly.reduce(0) { $0 + $1.attempts })),
            "timeline": .array(timeline.map { .object(JSONObject(["at": .string(Self.time($0.at)), "event": .string($0.event)])) }),
        ])
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        if total < 120 { return "\(total) s" }
        if total < 7_200 { return "\(total / 60) min" }
        if total < 172_800 { return "\(total / 3_600) h \(total % 3_600 / 60) min" }
        return "\(total / 86_400) days \(total % 86_400 / 3_600) h"
    }

    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}
