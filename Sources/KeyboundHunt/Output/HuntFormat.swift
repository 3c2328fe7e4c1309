import Keybound

/// The report formats.
public enum HuntFormat: String, Sendable, CaseIterable {
    /// A human summary.
    case text
    /// JSON with stable field names (``HuntReport/jsonObject``).
    case json
    /// A Markdown report with a timeline.
    case markdown
    /// A self-contained HTML report with an SVG timeline chart.
    case html
}

extension HuntReport {
    /// The report in `format`, ending in a newline.
    public func rendered(as format: HuntFormat) -> String {
        switch format {
        case .text: text + "\n"
        case .json: JSONWriter(prettyPrinted: true).string(.object(jsonObject)) + "\n"
        case .markdown: markdown
        case .html: html + "\n"
        }
    }

    /// The listed findings grouped by kind, in ``HuntFinding/Kind`` order, leaving out kinds with
    /// none listed: the findings sections of the text, Markdown and HTML reports.
    var listedFindingsByKind: [(kind: HuntFinding.Kind, findings: [HuntFinding])] {
        HuntFinding.Kind.allCases.compactMap { kind in
            let listed = findings.filter { $0.kind == kind }
            return listed.isEmpty ? nil : (kind: kind, findings: listed)
        }
    }
}
