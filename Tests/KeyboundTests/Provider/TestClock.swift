import Foundation
import Synchronization

/// A clock that stands still until a test moves it: for throttling windows without sleeping.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// A clock reading `start`.
    init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    /// The current reading.
    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The clock as the provider takes it.
    var function: @Sendable () -> Date { { [self] in self.now } }
}
