import Foundation

extension HuntReport {
    /// The most timeline lines a Markdown or HTML report lists (the JSON has them all).
    public static let maximumTimelineLines = 500

    /// A Markdown report: verdict, counts, a chronological timeline, the findings, the traced
    /// key's use and the leads (in their own section, labelled as leads).
    public var markdown: String {
        var out: [String] = []
        out.append("# Keybound hunt report")
        out.append("")
        out.append("- Generated: \(HuntTime.iso(generatedAt))")
        out.append("- Window: \(since.map(HuntTime.iso) ?? "beginning of the log") to \(until.map(HuntTime.iso) ?? "end of the log")")
        out.append("- Records scanned: \(scan.recordsScanned) (\(scan.recordsInWindow) in the window), ledger tokens: \(scan.ledgerTokens)")
        out.append("- First-time access look-back: \(HuntTime.duration(lookback))")
        out.append("")
        out.append("## Verdict")
        out.append("")
        out.append(isMalicious ? "**Malicious activity found: \(maliciousCount) findings.**" : "Nothing malicious found.")
        out.append("")
        out.append("| Finding | Count |")
        out.append("|---|---:|")
        for kind in HuntFinding.Kind.allCases { out.append("| \(kind.title) (`\(kind.rawValue)`) | \(findingCounts[kind] ?? 0) |") }
        out.append("| First-time access (\(HuntLead.label)) | \(leadCount) |")
        out.append("")
        out.append("## Timeline")
        out.append("")
        let events = timeline
        if events.isEmpty { out.append("Nothing notable in the window.") }
        for event in events.prefix(Self.maximumTimelineLines) {
            let span = event.count > 1 ? " — ×\(event.count) until \(event.lastTime.map(HuntTime.iso) ?? "")" : ""
            out.append("- `\(HuntTime.iso(event.time))` **\(event.lane.title)**\(event.sequence.map { " (record \($0))" } ?? ""): "
                + "\(Self.md(event.title))\(span)")
        }
        if events.count > Self.maximumTimelineLines {
            out.append("- … \(events.count - Self.maximumTimelineLines) more (see the JSON report)")
        }
        for (kind, listed) in listedFindingsByKind {
            out.append("")
            out.append("## \(kind.title) (\(findingCounts[kind] ?? 0))")
            out.append("")
            out.append("| Record | Time | Verdict | Tenant | Mailbox | Client | jti | Reason |")
            out.append("|---:|---|---|---|---|---|---|---|")
            for finding in listed {
                let record = finding.record
                out.append("| \(record.sequence) | \(HuntTime.iso(record.time)) | \(finding.accepted ? "**accepted**" : "refused") | "
                    + [record.huntTenantText, record.resource, record.clientID, record.tokenID, finding.reason].map { Self.md($0 ?? "–") }.joined(separator: " | ")
                    + " |")
            }
        }
        if let use = keyUse {
            out.append("")
            out.append("## Key use: \(Self.md(use.keyID))")
            out.append("")
            out += Self.keyUseLines(use).dropFirst().map { line in
                "    " + line.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            }
        }
        out.append("")
        out.append("## First-time access (\(HuntLead.pluralLabel))")
        out.append("")
        out.append("Each line is an application reading a mailbox it had not read in the \(Int(lookback / 86_400))-day look-back window. "
            + "A new integration does the same: check each one, none of them is a finding.")
        out.append("")
        if leads.isEmpty { out.append("None.") }
        for lead in leads {
            out.append("- `\(HuntTime.iso(lead.record.time))` (record \(lead.record.sequence)): client \(Self.md(lead.clientID)) "
                + "(\(Self.md(lead.clientIssuer ?? "no iss"))) read mailbox \(Self.md(lead.mailbox)) of tenant \(Self.md(lead.tenant ?? "–"))"
                + (lead.previousAccess.map { "; previous access \(HuntTime.iso($0))" } ?? "; never before"))
        }
        if leadCount > leads.count { out.append("- … \(leadCount - leads.count) more") }
        if !notes.isEmpty {
            out.append("")
            out.append("## Notes")
            out.append("")
            out += notes.map { "- \(Self.md($0))" }
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    /// Text made inert in Markdown: HTML's `<`, `>` and `&` become entities, other punctuation that
    /// formats is backslash-escaped, line breaks become spaces.
    static func md(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\\", "|", "`", "*", "_", "[", "]", "#", "!": result.append("\\"); result.append(character)
            case "\n", "\r", "\r\n", "\t": result.append(" ")
            default: result.append(character)
            }
        }
        return result
    }
}
