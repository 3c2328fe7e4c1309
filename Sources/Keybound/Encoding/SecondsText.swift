/// Seconds as text for messages: whole numbers when they are safe integers, never a trap.
enum SecondsText {
    /// 2^53: every integer up to it is exact in a `Double`.
    static let safeIntegerLimit: Double = 9_007_199_254_740_992

    static func of(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        guard abs(value) <= safeIntegerLimit else { return "\(value)" }
        return String(Int64(value.rounded(.towardZero)))
    }
}
