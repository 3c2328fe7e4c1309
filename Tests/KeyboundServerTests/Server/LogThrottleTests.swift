import KeyboundServer
import Testing

/// "store unavailable" during an outage: one line per interval, with how many were held back.
@Suite("Log throttle")
struct LogThrottleTests {
    @Test("the first line passes, the rest within the interval are counted, the next interval's first line carries the count")
    func oneLinePerInterval() {
        let throttle = LogThrottle(interval: .seconds(5))
        let start = ContinuousClock.now
        #expect(throttle.admit(now: start) == 0)
        for offset in 1...999 { #expect(throttle.admit(now: start + .milliseconds(offset)) == nil) }
        #expect(throttle.admit(now: start + .seconds(5)) == 999, "the held-back lines are counted")
        #expect(throttle.admit(now: start + .seconds(6)) == nil)
        #expect(throttle.admit(now: start + .seconds(11)) == 1)
    }
}
