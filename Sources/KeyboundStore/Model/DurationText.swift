import Foundation

/// Durations as people write them: `30d`, `24h`, `15m`, `90s` or plain seconds.
public enum DurationText {
    /// Parses `30d`, `24h`, `15m`, `90s` or a number of seconds; `nil` for anything else or a non-positive value.
    public static func parse(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        var number = Substring(text)
        var multiplier = 1.0
        if let last = text.last, let unit = units[last] {
            multiplier = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return value * multiplier
    }

    /// The shortest exact form: `30d`, `24h`, `90m` or `45s`.
    public static func text(_ seconds: TimeInterval) -> String {
        let whole = Int64(seconds.rounded())
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where whole % size == 0 && whole >= size {
            return "\(whole / size)\(unit)"
        }
        return "\(whole)s"
    }
}
