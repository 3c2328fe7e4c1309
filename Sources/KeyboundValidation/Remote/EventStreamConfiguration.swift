import Foundation

/// Reconnection and limits of the event-stream subscribers (``KeyEventSubscriber``,
/// ``TokenEventSubscriber``).
public struct EventStreamConfiguration: Sendable {
    /// The first delay before reconnecting (unless the provider sent `retry:`).
    public var initialBackoff: Duration = .milliseconds(250)
    /// The delay doubles per failed attempt up to this.
    public var maximumBackoff: Duration = .seconds(10)
    /// A connection that stayed open this long, or delivered an event, resets the back-off.
    public var stableConnection: Duration = .seconds(5)
    /// A connection on which nothing arrives for this long is dropped and reopened (the provider
    /// sends a keep-alive comment every 15 s). Whole seconds.
    public var idleTimeout: TimeInterval = 45
    /// The largest event accepted; a larger one drops the connection.
    public var maximumEventBytes = 64 * 1024

    /// The defaults.
    public init() {}
}

/// The push channel of one issuer.
public enum EventStreamState: Sendable, Equatable {
    /// ``KeyEventSubscriber/run()`` (or ``TokenEventSubscriber/run()``) has not started yet.
    case idle
    /// Opening the stream.
    case connecting
    /// The stream answered 200 and is open: events arrive as they happen.
    case connected
    /// The stream failed or closed; the next attempt follows after `retryAfter`.
    case waiting(retryAfter: Duration)
    /// The subscriber's `run()` ended (its task was cancelled).
    case stopped
}

/// Where an issuer's stream stands, carried from one connection to the next.
struct StreamPosition {
    /// The SSE last event id (`""`: none yet; the stream then starts where the provider decides).
    var lastEventID = ""
    /// The highest sequence number applied: an event at or below it is not applied again.
    var appliedThrough: Int64?
    /// The reconnection delay the provider asked for with `retry:`.
    var retry: Duration?
}
