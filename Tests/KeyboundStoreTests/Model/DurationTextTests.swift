import Foundation
import KeyboundStore
import Testing

/// One duration notation for the CLI's options and the configuration file: a whole number of up
/// to ten digits and an optional unit (`s`, `m`, `h`, `d`). Until 2026-12-07 the CLI parsed with
/// `Double`, and took fractions, exponents, hexadecimal and signs that the configuration file
/// refused.
@Suite("Durations as people write them")
struct DurationTextTests {
    @Test("whole numbers with an optional unit are seconds", arguments: [
        ("600", 600.0), ("90s", 90), ("15m", 900), ("24h", 86_400), ("30d", 2_592_000), ("0000000001d", 86_400),
    ])
    func accepted(text: String, seconds: Double) {
        #expect(DurationText.parse(text) == seconds)
    }

    @Test("anything else is refused, as the configuration file refuses it", arguments: [
        "", "0", "0d", "1.5h", "0.5", "1e3", "0x10", "0x1p3", "+5m", "-5d", " 5m", "5m ", "5 m", "5w", "inf", "nan", "12345678901",
        "5mm", "d", "５m",
    ])
    func refused(text: String) {
        #expect(DurationText.parse(text) == nil, "\(text)")
    }

    @Test("the shortest exact form reads back as the same duration", arguments: [45, 5_400, 86_400, 2_592_000, 86_401] as [Double])
    func roundTrip(seconds: Double) {
        #expect(DurationText.parse(DurationText.text(seconds)) == seconds)
    }
}
