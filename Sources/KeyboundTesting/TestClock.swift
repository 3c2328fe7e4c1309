import Foundation
import Keybound
import Synchronization

/// A clock that stands still until a test moves it: token lifetimes, throttling windows and key
/// rotations are tested without sleeping.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// A clock reading `start`.
    public init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    /// The current reading.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds` (backward when negative).
    public func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    /// The clock as a function, as the provider and the stores take it.
    public var function: @Sendable () -> Date { { [self] in self.now } }

    /// The clock as a verifier takes it: every verification reads the current reading.
    public var verificationClock: VerificationClock { VerificationClock { [self] in self.now } }
}
