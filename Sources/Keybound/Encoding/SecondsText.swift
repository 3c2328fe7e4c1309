/// Seconds as text for messages: whole numbers when they are safe integers, never a trap.
enum SecondsText {
    static func of(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        guard abs(value) <= 9_007_199_254_740_992 else { return "\(value)" }
        return String(Int64(value.rounded(.towardZero)))
    }
}
