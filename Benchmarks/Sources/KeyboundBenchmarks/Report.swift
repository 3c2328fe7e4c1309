import Foundation

/// Prints the results table and writes the JSON file.
enum Report {
    /// The table: median ops/s with min–max and ±% spread per contender, then the ratios.
    static func table(_ results: [CaseResult], repetitions: Int, timeSource: TimeSource) -> String {
        let clock = timeSource == .wall ? "wall time, ContinuousClock" : "process CPU time"
        var lines = ["", "ops/s on one thread (\(clock)), median of \(repetitions) interleaved repetitions [min–max, ±half-range %]",
                     "ratios are keybound ÷ baseline (above 1 means Keybound is faster)", ""]
        let header = [pad("case", 14), pad("keybound", 34), pad("raw swift-crypto", 34), pad("jwt-kit", 34),
                      pad("÷raw", 7, right: true), pad("÷jwt-kit", 9, right: true), "  target"]
        lines.append(header.joined(separator: " "))
        lines.append(String(repeating: "-", count: 14 + 3 * 35 + 8 + 10 + 20))
        for result in results {
            let verdict = result.meetsTarget ? "ok" : "BELOW"
            lines.append([pad(result.name, 14), pad(cell(result.keybound), 34), pad(cell(result.raw), 34),
                          pad(cell(result.jwtkit), 34), pad(fixed(result.ratioRaw, 3), 7, right: true),
                          pad(fixed(result.ratioJWTKit, 2), 9, right: true),
                          "  ≥\(fixed(result.rawTarget, 2)) \(verdict)"].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// `{"results":[{"name":…,"keybound_ops":N,"raw_ops":N,"jwtkit_ops":N,"ratio_raw":R,"ratio_jwtkit":R}, …]}`.
    static func json(_ results: [CaseResult]) -> String {
        let rows = results.map { result in
            "    {\"name\":\"\(result.name)\",\"keybound_ops\":\(Int(result.keybound.median.rounded())),"
                + "\"raw_ops\":\(Int(result.raw.median.rounded())),\"jwtkit_ops\":\(Int(result.jwtkit.median.rounded())),"
                + "\"ratio_raw\":\(fixed(result.ratioRaw, 4)),\"ratio_jwtkit\":\(fixed(result.ratioJWTKit, 4))}"
        }
        return "{\"results\":[\n" + rows.joined(separator: ",\n") + "\n]}\n"
    }

    private static func cell(_ sample: Sample) -> String {
        "\(grouped(sample.median)) [\(grouped(sample.minimum))–\(grouped(sample.maximum)) ±\(fixed(sample.spreadPercent, 1))%]"
    }

    /// An integer with thousands separators.
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    static func fixed(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
