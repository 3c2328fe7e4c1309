import Foundation
import Hummingbird
import KeyboundStore
import ServiceLifecycle

/// What one read of a stream's store found.
struct EventStreamBatch: Sendable {
    /// SSE text to send (possibly empty).
    var text = ""
    /// Whether a full batch was read, so more may be waiting at once.
    var more = false
    /// Whether the stream must end (its caller lost the right to it).
    var end = false
}

/// The response of an event stream: `text/event-stream`, one store read at the start and after
/// every wake-up of the issuer's ``ChangeBeacon`` (never on a timer of its own), a keep-alive
/// comment after `heartbeat` of silence (``StreamLimits/keepAliveInterval``), and a `: caught up`
/// comment once the backlog has been sent (a following stream only). The stream's slot and
/// its hold on the beacon are released when the body ends (or, should it never run, when the
/// response is gone); a client that went away is noticed when a write fails. A graceful shutdown
/// of the server ends every open stream at once, so SIGTERM is never held up by a validator.
enum ServerSentEventsResponse {
    /// A streaming response. `read` gets the position (the last event id sent or skipped) and
    /// advances it.
    static func make(slot: StreamSlot, following: StreamFollowing, start: Int64, follow: Bool, heartbeat: Duration,
                     read: @escaping @Sendable (inout Int64) async throws -> EventStreamBatch) -> Response {
        let body = ResponseBody { writer in
            defer {
                slot.release()
                following.end()
            }
            var position = start
            var lastWrite = ContinuousClock.now
            var caughtUp = false
            repeat {
                // Read the version before the store: a change after the read moves it past `seen`.
                let seen = following.beacon.version
                let batch = try await read(&position)
                if !batch.text.isEmpty {
                    try await writer.write(ByteBuffer(string: batch.text))
                    lastWrite = .now
                }
                if batch.end || !follow { break }
                if batch.more { continue }
                if !caughtUp {
                    // The backlog is sent: say so at once, so that a validator hears from a live
                    // stream even before anything new happens (the issuance feed's staleness).
                    try await writer.write(ByteBuffer(string: ": caught up\n\n"))
                    lastWrite = .now
                    caughtUp = true
                }
                let quiet = ContinuousClock.now - lastWrite
                if quiet >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                    continue
                }
                let beacon = following.beacon, timeout = heartbeat - quiet
                _ = await cancelWhenGracefulShutdown { await beacon.wait(after: seen, timeout: timeout) }
            } while !Task.isCancelled && !Task.isShuttingDownGracefully
            // Ended by the client's request (follow=false), its lost right to the stream, or the
            // server's graceful shutdown: an open stream must never hold a shutdown up. A client
            // resumes elsewhere with Last-Event-ID.
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The resume point of a stream request: `Last-Event-ID`, else `?after=N`, else `nil`.
    static func resumePoint(_ request: Request, query: FormBody) throws(OAuthError) -> Int64? {
        guard let text = request.headers[.lastEventID] ?? query["after"] else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw OAuthError.invalidRequest("Last-Event-ID / after must be a non-negative event sequence number")
        }
        return value
    }

    /// 503 `temporarily_unavailable` with `Retry-After`, for a stream over its cap.
    static func refused(_ why: String, limits: StreamLimits) -> OAuthError {
        OAuthError(status: .serviceUnavailable, error: "temporarily_unavailable", description: why,
                   headers: [.retryAfter: "\(limits.retryAfterSeconds)"])
    }
}
