import Foundation
import Logging
import Synchronization

/// Lets one log line of a kind through per interval and counts the rest, so an outage that fails
/// every request (thousands a second) writes a line every few seconds, not one per request.
package final class LogThrottle: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let interval: Duration
    private let state = Mutex(State())

    /// At most one line per `interval`.
    package init(interval: Duration = .seconds(5)) { self.interval = interval }

    /// Whether to log now and how many lines were held back since the last one; `nil` to stay quiet.
    package func admit(now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = State(last: now, suppressed: 0) }
            return state.suppressed
        }
    }

    /// Logs `message` at error level through `logger` if admitted, with the number held back.
    package func error(_ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata) {
        guard let suppressed = admit() else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.error(message, metadata: metadata)
    }

    /// The throttle of "store unavailable" lines, shared by the provider's and the admin API's routes.
    package static let storeUnavailable = LogThrottle()
}
