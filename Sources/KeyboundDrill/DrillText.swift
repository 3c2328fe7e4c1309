import Foundation

/// Plain-text layout for the drill's report.
enum DrillText {
    /// Rows padded into columns (two spaces apart), indented by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            return "  " + cells.joined(separator: "  ")
        }
    }

    /// Wraps `text` at `width` columns, every line indented by `indent` spaces.
    static func paragraph(_ text: String, indent: Int = 2, width: Int = 100) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width - indent {
                lines.append(String(repeating: " ", count: indent) + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(String(repeating: " ", count: indent) + line) }
        return lines
    }

    /// A duration for people: `42 s`, `35 min`, `3 h 5 min`, `2 days 4 h`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 120 { return "\(total) s" }
        if total < 7_200 { return "\(total / 60) min" }
        if total < 172_800 { return "\(total / 3_600) h \(total % 3_600 / 60) min" }
        return "\(total / 86_400) days \(total % 86_400 / 3_600) h"
    }

    /// `2026-05-01` (UTC).
    static func date(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}
