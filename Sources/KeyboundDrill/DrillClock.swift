import Foundation
import Synchronization

/// The drill's simulated time. One clock is shared by everything that reads the time: the
/// provider (`iat`/`exp`, the ledger), both mail front ends (audit records, alerts), the verifiers
/// (token expiry, key windows), the key store's rotations and the incident response. It only moves
/// when the drill moves it.
final class DrillClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }

    /// The simulated now.
    func now() -> Date { current.withLock { $0 } }

    /// Moves the clock to `date` (never backwards).
    func set(_ date: Date) { current.withLock { $0 = max($0, date) } }

    /// Moves the clock forward by `seconds`.
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// The clock as a closure, for the `now:` parameters of the stores and services.
    var reader: @Sendable () -> Date { { [self] in self.now() } }
}
