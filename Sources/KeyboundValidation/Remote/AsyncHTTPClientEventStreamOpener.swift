import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Streaming requests over AsyncHTTPClient (the process-wide ``OutgoingHTTP/client``): the body is
/// handed over chunk by chunk as it arrives.
///
/// - A connection on which nothing (not even a keep-alive comment) arrives for ``idleTimeout``
///   fails; so does one whose response head takes longer than that.
/// - At most ``maximumBufferedChunks`` chunks wait for the reader; beyond that the connection is
///   dropped (a reader that cannot keep up must not buffer without bound). AsyncHTTPClient itself
///   reads only as fast as this pump asks.
/// - Redirects are never followed (a 3xx is returned as its status).
/// - Closing the response, ending the reader or cancelling ``open(_:headers:body:)`` cancels the
///   request, which closes its connection.
struct AsyncHTTPClientEventStreamOpener: EventStreamOpening {
    /// A connection on which nothing arrives for this long fails.
    let idleTimeout: TimeInterval
    /// Chunks received but not yet read; beyond this the connection is dropped.
    let maximumBufferedChunks: Int
    var client: HTTPClient = OutgoingHTTP.client

    func open(_ url: URL, headers: [String: String], body: [UInt8]?) async throws -> EventStreamResponse {
        var request = HTTPClientRequest(url: url.absoluteString)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.method = .POST
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: OutgoingHTTP.deadline(in: idleTimeout))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw HTTPFetchError("no response within \(Duration.seconds(idleTimeout))")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw HTTPFetchError("\(error)")
        }
        let (chunks, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self,
                                                                    bufferingPolicy: .bufferingOldest(max(1, maximumBufferedChunks)))
        let pump = Task { [idleTimeout] in
            await Self.pump(response.body, into: continuation, idleTimeout: .seconds(idleTimeout))
        }
        // The reader stopped (or was cancelled): stop reading, which closes the connection.
        continuation.onTermination = { _ in pump.cancel() }
        return EventStreamResponse(status: Int(response.status.code), headers: response.headers.lowercasedDictionary,
                                   body: chunks, close: { pump.cancel() })
    }

    /// Moves `body` into `continuation` chunk by chunk until it ends, fails, stays silent for
    /// `idleTimeout`, overflows the buffer or the pump is cancelled; then finishes `continuation`.
    static func pump(_ body: HTTPClientResponse.Body, into continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation,
                     idleTimeout: Duration) async {
        let lastArrival = LastArrival()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await buffer in body {
                        lastArrival.now()
                        if case .dropped = continuation.yield(Array(buffer.readableBytesView)) {
                            throw HTTPFetchError("the reader fell behind the event stream")
                        }
                    }
                }
                group.addTask {
                    while true {
                        let due = lastArrival.instant + idleTimeout
                        if ContinuousClock.now >= due { throw HTTPFetchError("nothing arrived on the event stream for \(idleTimeout)") }
                        try await Task.sleep(until: due, clock: .continuous)
                    }
                }
                // The body ended (the provider closed the stream) or something failed: stop the other.
                defer { group.cancelAll() }
                _ = try await group.next()
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: Task.isCancelled ? CancellationError() : error)
        }
    }
}

/// When a chunk last arrived on an event stream (shared by its reader and its idle watchdog).
private final class LastArrival: Sendable {
    private let arrival = Mutex(ContinuousClock.now)
    /// The last arrival.
    var instant: ContinuousClock.Instant { arrival.withLock { $0 } }
    /// Records an arrival now.
    func now() { arrival.withLock { $0 = .now } }
}
