import Foundation

/// Times as people type them for `--since`/`--until` and the admin API's `since`/`until`.
public enum HuntTimeText {
    /// UNIX seconds (`1800000000`, `1800000000.5`), or ISO 8601: a date and time with a zone
    /// (`2027-01-15T08:00:00Z`, fractional seconds allowed) or a date alone (`2027-01-15`, midnight UTC).
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            guard seconds.isFinite, abs(seconds) < 1e11 else { return nil }
            return Date(timeIntervalSince1970: seconds)
        }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle()) { return date }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
        return nil
    }
}
