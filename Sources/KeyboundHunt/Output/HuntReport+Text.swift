import Foundation

extension HuntReport {
    /// A human summary for a terminal: the verdict, the counts, the first findings of each kind,
    /// the traced key's use and the leads (labelled as leads).
    public var text: String {
        var lines: [String] = []
        lines.append("Keybound hunt, \(HuntTime.iso(generatedAt))")
        lines.append("Window: \(since.map(HuntTime.iso) ?? "beginning of the log") to \(until.map(HuntTime.iso) ?? "end of the log"); "
            + "look-back \(HuntTime.duration(lookback)) for first-time access")
        lines.append("Scanned \(scan.recordsScanned) audit records (\(scan.recordsInWindow) in the window) in "
            + "\(String(format: "%.2f", scan.scanSeconds)) s, \(Int(scan.recordsPerSecond)) records/s; ledger: \(scan.ledgerTokens) tokens")
        lines.append("")
        lines.append(isMalicious
            ? "VERDICT: MALICIOUS ACTIVITY FOUND (\(maliciousCount) findings)"
            : "VERDICT: nothing malicious found")
        lines.append("  forged tokens:             \(count(.forgedToken))")
        lines.append("  cross-issuer keys:         \(count(.crossIssuer))")
        lines.append("  revoked or inactive keys:  \(count(.revokedOrInactiveKey))")
        lines.append("  first-time access:         \(leadCount) (\(HuntLead.pluralLabel))")
        for (kind, listed) in listedFindingsByKind {
            lines.append("")
            lines.append("\(kind.title) (\(findingCounts[kind] ?? 0)):")
            for finding in listed.prefix(20) {
                let record = finding.record
                lines.append("  #\(record.sequence) \(HuntTime.iso(record.time)) \(record.operation) tenant=\(record.huntTenantText ?? "-") "
                    + "resource=\(record.resource ?? "-") client=\(record.clientID ?? "-") jti=\(record.tokenID ?? "-")")
                lines.append("      \(finding.reason)")
            }
            if listed.count > 20 { lines.append("  … \((findingCounts[kind] ?? 0) - 20) more (see --format json)") }
        }
        if let use = keyUse { lines += Self.keyUseLines(use) }
        if leadCount > 0 {
            lines.append("")
            lines.append("First-time access, \(HuntLead.pluralLabel) (\(leadCount)):")
            for lead in leads.prefix(20) {
                lines.append("  #\(lead.record.sequence) \(HuntTime.iso(lead.record.time)) client \(lead.clientID) (\(lead.clientIssuer ?? "no iss")) "
                    + "first read mailbox \(lead.mailbox) (tenant \(lead.tenant ?? "-"))"
                    + (lead.previousAccess.map { "; previous access \(HuntTime.iso($0))" } ?? ""))
            }
            if leadCount > 20 { lines.append("  … \(leadCount - 20) more (see --format json)") }
        }
        if !notes.isEmpty {
            lines.append("")
            lines += notes.map { "Note: \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    static func keyUseLines(_ use: HuntKeyUse) -> [String] {
        var lines = ["", "Key \(use.keyID) of \(use.issuerID ?? use.issuer)"
            + (use.keyState.map { " (state \($0)\(use.keyRevokedAt.map { ", revoked \(HuntTime.iso($0))" } ?? ""))" } ?? " (not in the key store)")
            + ": \(use.total.total) records, \(use.total.allowed) allowed, \(use.total.denied) denied"]
        if let first = use.total.firstSeen, let last = use.total.lastSeen {
            lines.append("  first seen \(HuntTime.iso(first)), last seen \(HuntTime.iso(last))")
        }
        for group in use.byClaimedIssuer where group.name != use.issuerURL {
            lines.append("  claimed by another issuer: \(group.name ?? "(no iss)"): \(group.tally.total) records")
        }
        for tenant in use.byTenant.prefix(20) {
            lines.append("  tenant \(tenant.name ?? "-"): \(tenant.tally.allowed) allowed, \(tenant.tally.denied) denied")
        }
        for mailbox in use.byMailbox.prefix(20) {
            lines.append("    mailbox \(mailbox.mailbox) (\(mailbox.tenant ?? "-")): \(mailbox.tally.allowed) allowed, \(mailbox.tally.denied) denied; "
                + "items: \(mailbox.itemIDs.prefix(10).joined(separator: ", "))\(mailbox.itemIDs.count > 10 || mailbox.itemIDsTruncated ? ", …" : "")")
        }
        return lines
    }
}
