import Foundation

/// The response to a streaming request: its head, then the body chunk by chunk as it arrives.
struct EventStreamResponse: Sendable {
    /// The HTTP status code.
    let status: Int
    /// Response headers, names lowercased.
    let headers: [String: String]
    /// The body, chunk by chunk; ends when the server closes, throws when the connection fails.
    let body: AsyncThrowingStream<[UInt8], any Error>
    /// Closes the connection (idempotent). Always called when the reader is done.
    let close: @Sendable () -> Void
}

/// Opens streaming requests for ``KeyEventSubscriber`` and ``TokenEventSubscriber``
/// (``AsyncHTTPClientEventStreamOpener``). Swappable for tests.
protocol EventStreamOpening: Sendable {
    /// Sends a GET (or, with a `body`, a POST of it) and returns once the response head has
    /// arrived. Cancellation closes the connection.
    func open(_ url: URL, headers: [String: String], body: [UInt8]?) async throws -> EventStreamResponse
}
