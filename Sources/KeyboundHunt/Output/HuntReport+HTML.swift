import Foundation

extension HuntReport {
    /// A self-contained HTML report (``htmlSection`` in a page of its own, with ``stylesheet``
    /// inline): for a file an operator opens or sends. No scripts and no external assets.
    public var html: String {
        let e = HTMLText.escape
        return [
            "<!DOCTYPE html>",
            "<html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            "<title>Keybound hunt report \(e(HuntTime.iso(generatedAt)))</title>",
            "<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1d1d1f;max-width:1100px}\n\(Self.stylesheet)</style></head><body>",
            "<h1>Keybound hunt report</h1>",
            htmlSection,
            "</body></html>",
        ].joined(separator: "\n")
    }

    /// The report as one `<section class="hunt-report">`: the verdict, a timeline chart (inline
    /// SVG), the timeline, the findings, the traced key's use and the leads. No script, no inline
    /// style (the console shows it under a CSP that allows neither, with ``stylesheet`` in its CSS
    /// file); every value from the log is escaped.
    public var htmlSection: String {
        let e = HTMLText.escape
        var out: [String] = []
        out.append("<section class=\"hunt-report\" aria-label=\"Hunt report\">")
        out.append("<p>Generated \(e(HuntTime.iso(generatedAt))). Window: \(e(since.map(HuntTime.iso) ?? "beginning of the log")) to "
            + "\(e(until.map(HuntTime.iso) ?? "end of the log")). \(scan.recordsScanned) records scanned (\(scan.recordsInWindow) in the window); "
            + "\(scan.ledgerTokens) tokens in the ledger.</p>")
        out.append(isMalicious
            ? "<p class=\"verdict bad\">Malicious activity found: \(maliciousCount) findings.</p>"
            : "<p class=\"verdict good\">Nothing malicious found.</p>")
        out.append("<table><tr><th>Finding</th><th>Count</th></tr>")
        for kind in HuntFinding.Kind.allCases {
            out.append("<tr><td>\(e(kind.title)) <code>\(e(kind.rawValue))</code></td><td class=\"n\">\(findingCounts[kind] ?? 0)</td></tr>")
        }
        out.append("<tr><td>First-time access <em>(\(e(HuntLead.label)))</em></td><td class=\"n\">\(leadCount)</td></tr></table>")
        let events = timeline
        out.append("<h2>Timeline</h2>")
        out.append(HuntTimelineChart.svg(events, start: since ?? scan.logStart, end: until ?? scan.logEnd))
        out.append("<ol class=\"timeline\">")
        for event in events.prefix(Self.maximumTimelineLines) {
            let span = event.count > 1 ? " — ×\(event.count) until \(event.lastTime.map(HuntTime.iso) ?? "")" : ""
            out.append("<li class=\"\(event.lane.rawValue)\"><time>\(e(HuntTime.iso(event.time)))</time> <strong>\(e(event.lane.title))</strong>"
                + "\(event.sequence.map { " (record \($0))" } ?? ""): \(e(event.title))\(e(span))</li>")
        }
        out.append("</ol>")
        if events.count > Self.maximumTimelineLines { out.append("<p>… \(events.count - Self.maximumTimelineLines) more in the JSON report.</p>") }
        for (kind, listed) in listedFindingsByKind {
            out.append("<h2>\(e(kind.title)) (\(findingCounts[kind] ?? 0))</h2>")
            out.append("<table><tr><th>Record</th><th>Time</th><th>Verdict</th><th>Tenant</th><th>Mailbox</th><th>Client</th><th>jti</th><th>Reason</th></tr>")
            for finding in listed {
                let record = finding.record
                let cells = [record.huntTenantText, record.resource, record.clientID, record.tokenID, finding.reason].map { "<td>\(e($0 ?? "–"))</td>" }
                out.append("<tr><td class=\"n\">\(record.sequence)</td><td>\(e(HuntTime.iso(record.time)))</td>"
                    + "<td>\(finding.accepted ? "<strong>accepted</strong>" : "refused")</td>\(cells.joined())</tr>")
            }
            out.append("</table>")
        }
        if let use = keyUse {
            out.append("<h2>Key use: <code>\(e(use.keyID))</code></h2>")
            out.append("<pre>\(e(Self.keyUseLines(use).dropFirst().joined(separator: "\n")))</pre>")
        }
        out.append("<h2>First-time access (\(e(HuntLead.pluralLabel)))</h2>")
        out.append("<p class=\"lead-note\">Each row is an application reading a mailbox it had not read in the \(Int(lookback / 86_400))-day "
            + "look-back window. A new integration does the same: these are leads to check, not findings.</p>")
        if leads.isEmpty { out.append("<p>None.</p>") } else {
            out.append("<table><tr><th>Record</th><th>Time</th><th>Client</th><th>Client issuer</th><th>Tenant</th><th>Mailbox</th><th>Previous access</th></tr>")
            for lead in leads {
                out.append("<tr><td class=\"n\">\(lead.record.sequence)</td><td>\(e(HuntTime.iso(lead.record.time)))</td><td>\(e(lead.clientID))</td>"
                    + "<td>\(e(lead.clientIssuer ?? "–"))</td><td>\(e(lead.tenant ?? "–"))</td><td>\(e(lead.mailbox))</td>"
                    + "<td>\(e(lead.previousAccess.map(HuntTime.iso) ?? "never"))</td></tr>")
            }
            out.append("</table>")
            if leadCount > leads.count { out.append("<p>… \(leadCount - leads.count) more.</p>") }
        }
        if !notes.isEmpty {
            out.append("<h2>Notes</h2><ul>")
            out += notes.map { "<li>\(e($0))</li>" }
            out.append("</ul>")
        }
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    /// The report's CSS, every rule under `.hunt-report`: inline in ``html``, and in the
    /// console's stylesheet file.
    public static let stylesheet = """
        .hunt-report table{border-collapse:collapse;margin:.5em 0 1.5em}
        .hunt-report td,.hunt-report th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
        .hunt-report td.n{text-align:right}.hunt-report code,.hunt-report pre{font:12px ui-monospace,monospace}
        .hunt-report pre{background:#f5f5f7;padding:.8em;overflow:auto}
        .hunt-report .verdict{font-weight:bold;padding:.5em .8em;border-radius:4px}
        .hunt-report .bad{background:#fde2e1;color:#9b1c1c}.hunt-report .good{background:#e3f7e6;color:#14532d}
        .hunt-report .timeline{font-size:13px}.hunt-report .timeline time{font-family:ui-monospace,monospace}.hunt-report .lead-note{font-style:italic}
        .hunt-report .timeline-chart{max-width:960px}
        .hunt-report svg .lane{font-size:12px;fill:#333}.hunt-report svg .tick{font-size:11px;fill:#555}
        .hunt-report svg .rule{stroke:#e3e3e3}.hunt-report svg .axis{stroke:#888}.hunt-report svg .mark{stroke:#fff;stroke-width:1}
        .hunt-report svg .key_event{fill:#6b7280}.hunt-report svg .key_use{fill:#2563eb}.hunt-report svg .forged_token{fill:#dc2626}
        .hunt-report svg .cross_issuer{fill:#b91c1c}.hunt-report svg .revoked_or_inactive_key{fill:#ea580c}.hunt-report svg .first_time_access{fill:#ca8a04}
        """
}
