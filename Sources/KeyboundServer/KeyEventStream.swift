import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// `GET /<issuer>/key-events`: the issuer's key events (created, activated, verify-only, retired,
/// revoked) as Server-Sent Events, so validators in other processes learn of a revocation at once
/// instead of at their next JWKS refresh. Each event's `id` is the key store's sequence number; a
/// client that reconnects with `Last-Event-ID` (or `?after=N`) resumes after it and misses nothing.
/// Without either, the stream starts at the present. `?follow=false` answers the backlog and
/// closes (catch-up without holding a connection). Only the issuer's own events are sent, and
/// only public facts: sequence, issuer URL, kid, kind, time.
struct KeyEventStream: Sendable {
    let context: ProviderContext
    /// How often the store is polled for new events while following.
    static let pollInterval: Duration = .milliseconds(100)
    /// A comment line is sent this often so proxies keep the connection open.
    static let heartbeat: Duration = .seconds(15)

    func register(on router: Router<ProviderRequestContext>) {
        router.get("/:issuer/key-events") { request, routeContext in
            try stream(request, issuerID: try routeContext.parameters.require("issuer"))
        }
    }

    func stream(_ request: Request, issuerID: String) throws -> Response {
        let issuer = try context.issuer(issuerID)
        let query = try FormBody.query(request)
        let resumeText = request.headers[.lastEventID] ?? query["after"]
        let start: Int64
        if let resumeText {
            guard let value = Int64(resumeText), value >= 0 else {
                throw OAuthError.invalidRequest("Last-Event-ID / after must be a non-negative event sequence number")
            }
            start = value
        } else {
            start = try context.manager.latestEvent()?.sequence ?? 0
        }
        let follow = query["follow"] != "false"
        let manager = context.manager
        let body = ResponseBody { writer in
            var after = start
            var lastWrite = ContinuousClock.now
            repeat {
                let events = try manager.events(after: after, limit: 500)
                for event in events {
                    after = event.sequence
                    guard event.issuerID == issuer.id else { continue }
                    try await writer.write(ByteBuffer(string: Self.format(event, issuerURL: issuer.url)))
                    lastWrite = .now
                }
                if events.count == 500 { continue }
                guard follow else { break }
                if ContinuousClock.now - lastWrite >= Self.heartbeat {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try await Task.sleep(for: Self.pollInterval)
            } while !Task.isCancelled
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// One SSE event: `id` = sequence, `event` = kind, `data` = a one-line JSON object.
    static func format(_ event: KeyEvent, issuerURL: String) -> String {
        let data = JSONWriter().string(.object(JSONObject([
            "sequence": .number(Double(event.sequence)), "iss": .string(issuerURL), "kid": .string(event.keyID),
            "kind": .string(event.kind.rawValue), "at": .number(event.at.timeIntervalSince1970.rounded(.down)),
        ])))
        return "id: \(event.sequence)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }
}
