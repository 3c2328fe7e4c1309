import Foundation

/// Durations as people write them: `30d`, `24h`, `15m`, `90s` or plain seconds.
public enum DurationText {
    /// Parses `30d`, `24h`, `15m`, `90s` or a number of seconds; `nil` for anything else or zero.
    public static func parse(_ text: String) -> TimeInterval? {
        guard let seconds = wholeSeconds(text), seconds > 0 else { return nil }
        return TimeInterval(seconds)
    }

    /// `600`, `90s`, `10m`, `1h`, `14d` in seconds: a whole number of up to ten digits (so no
    /// overflow) and an optional unit; `nil` for anything else (a sign, a fraction, an exponent,
    /// spaces). The one notation of the CLI's options and the configuration file.
    package static func wholeSeconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var digits = Substring(text)
        var multiplier = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
            return nil
        }
        return number * multiplier
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
