import Foundation

/// The timeline as an inline SVG chart: one lane per kind of event, one mark per event (its
/// title as a tooltip), a time axis. No scripts, no external assets; every text is escaped.
enum HuntTimelineChart {
    static let width = 960.0
    static let laneHeight = 34.0
    static let left = 190.0
    static let right = 20.0
    static let top = 20.0

    static func svg(_ events: [HuntTimelineEvent], start: Date?, end: Date?) -> String {
        let lanes = HuntTimelineEvent.Lane.allCases
        let height = top + laneHeight * Double(lanes.count) + 40
        let times = events.map(\.time) + events.compactMap(\.lastTime)
        let first = start ?? times.min() ?? Date(timeIntervalSince1970: 0)
        var last = end ?? times.max() ?? first
        if last <= first { last = first.addingTimeInterval(3_600) }
        let span = last.timeIntervalSince(first)
        func x(_ date: Date) -> Double {
            left + (width - left - right) * min(1, max(0, date.timeIntervalSince(first) / span))
        }
        var svg = ["<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Timeline of notable events\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" class=\"timeline-chart\">"]
        svg.append("<title>Timeline of notable events</title>")
        for (index, lane) in lanes.enumerated() {
            let y = top + laneHeight * Double(index) + laneHeight / 2
            svg.append("<text x=\"\(Int(left - 10))\" y=\"\(format(y + 4))\" text-anchor=\"end\" class=\"lane\">\(HTMLText.escape(lane.title))</text>")
            svg.append("<line x1=\"\(Int(left))\" y1=\"\(format(y))\" x2=\"\(Int(width - right))\" y2=\"\(format(y))\" class=\"rule\"/>")
        }
        for event in events.prefix(HuntReport.maximumTimelineLines * 4) {
            guard let index = lanes.firstIndex(of: event.lane) else { continue }
            let y = top + laneHeight * Double(index) + laneHeight / 2
            let tooltip = "<title>\(HTMLText.escape("\(HuntTime.iso(event.time)) \(event.title)\(event.count > 1 ? " (×\(event.count))" : "")"))</title>"
            if let lastTime = event.lastTime, x(lastTime) - x(event.time) >= 2 {
                svg.append("<rect x=\"\(format(x(event.time)))\" y=\"\(format(y - 5))\" width=\"\(format(x(lastTime) - x(event.time)))\" "
                    + "height=\"10\" rx=\"3\" class=\"mark \(event.lane.rawValue)\">\(tooltip)</rect>")
            } else {
                svg.append("<circle cx=\"\(format(x(event.time)))\" cy=\"\(format(y))\" r=\"5\" class=\"mark \(event.lane.rawValue)\">\(tooltip)</circle>")
            }
        }
        let axisY = top + laneHeight * Double(lanes.count) + 6
        svg.append("<line x1=\"\(Int(left))\" y1=\"\(format(axisY))\" x2=\"\(Int(width - right))\" y2=\"\(format(axisY))\" class=\"axis\"/>")
        for tick in 0...4 {
            let date = first.addingTimeInterval(span * Double(tick) / 4)
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            svg.append("<text x=\"\(format(x(date)))\" y=\"\(format(axisY + 18))\" text-anchor=\"\(anchor)\" class=\"tick\">\(HTMLText.escape(HuntTime.short(date)))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Escaping for HTML text and attribute values (and SVG inside HTML).
enum HTMLText {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
