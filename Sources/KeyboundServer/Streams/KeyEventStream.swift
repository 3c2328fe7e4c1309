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
///
/// Public, but bounded: anonymous streams are capped per client address and in total; a server
/// client of the issuer may authenticate (as on ``TokenEventStream``, GET with Basic or POST with
/// a form) and gets a slot of the reserved pool. Streams are woken by the store's writes through
/// the ``EventStreamHub``, never by polling of their own.
struct KeyEventStream: Sendable {
    let context: ProviderContext

    /// `key-events` on the issuer's route group.
    func register(on issuerRoutes: RouterGroup<ProviderRequestContext>) {
        issuerRoutes.get("key-events") { request, routeContext in
            try await stream(request, issuer: try routeContext.issuer(), address: routeContext.clientAddress)
        }
        issuerRoutes.post("key-events") { request, routeContext in
            try await stream(request, issuer: try routeContext.issuer(), address: routeContext.clientAddress)
        }
    }

    func stream(_ request: Request, issuer: IssuerRecord, address: String?) async throws -> Response {
        let query = try FormBody.query(request)
        let resume = try ServerSentEventsResponse.resumePoint(request, query: query)
        let follow = query["follow"] != "false"
        let slot: StreamSlot
        if StreamAuthentication.presentsCredentials(request) {
            let caller = try await StreamAuthentication(context: context).serverClient(request, issuer: issuer)
            guard let admitted = context.streamLimiter.admit(.authenticated(issuerID: issuer.id, clientID: caller.client.clientID)) else {
                throw ServerSentEventsResponse.refused("client '\(caller.client.clientID)' has too many open event streams", limits: context.streamLimiter.limits)
            }
            slot = admitted
        } else {
            guard let admitted = context.streamLimiter.admit(.anonymous(address: address)) else {
                throw ServerSentEventsResponse.refused("too many anonymous event streams are open; retry later, or authenticate as a server client",
                                                  limits: context.streamLimiter.limits)
            }
            slot = admitted
        }
        let following = await context.streams.follow(issuer.id)
        let start: Int64
        if let resume { start = resume } else { start = try await context.manager.latestEvent()?.sequence ?? 0 }
        let manager = context.manager
        return ServerSentEventsResponse.make(slot: slot, following: following, start: start, follow: follow,
                                             heartbeat: context.configuration.streamLimits.keepAliveInterval) { position in
            let events = try await manager.events(after: position, limit: 500)
            var batch = EventStreamBatch(more: events.count == 500)
            for event in events {
                position = event.sequence
                guard event.issuerID.isExactly(issuer.id) else { continue }
                batch.text += Self.format(event, issuerURL: issuer.url)
            }
            return batch
        }
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
