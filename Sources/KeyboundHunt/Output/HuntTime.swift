import Foundation

/// Times in reports: ISO 8601 UTC with milliseconds, computed directly (no formatter, no locale).
enum HuntTime {
    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }

    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000).rounded()
        guard value.isFinite else { return 0 }
        return Int64(max(-9e15, min(9e15, value)))
    }

    /// `2027-01-15T08:00:00.000Z`.
    static func iso(_ date: Date) -> String { iso(milliseconds: milliseconds(date)) }

    static func iso(milliseconds: Int64) -> String {
        let millis = Int((milliseconds % 1_000 + 1_000) % 1_000)
        let seconds = (milliseconds - Int64(millis)) / 1_000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civil(days: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// `2027-01-15 08:00` (for charts and tables).
    static func short(_ date: Date) -> String {
        let text = iso(date)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    /// Howard Hinnant's days-from-civil inverse.
    private static func civil(days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(abs(value))
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// A duration as `3d 4h`, `5m 2s` or `0.4s`.
    static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(Int(seconds))s" }
        let total = Int(seconds)
        if total < 3_600 { return "\(total / 60)m \(total % 60)s" }
        if total < 86_400 { return "\(total / 3_600)h \(total % 3_600 / 60)m" }
        return "\(total / 86_400)d \(total % 86_400 / 3_600)h"
    }
}
