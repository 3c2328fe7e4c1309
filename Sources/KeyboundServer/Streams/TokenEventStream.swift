import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// `GET|POST /<issuer>/token-events`: the issuer's issuance feed, advertised in discovery as
/// `issuance_feed_endpoint`. Each access token the issuer issued, and each revocation of one, as
/// Server-Sent Events, for the validators that refuse tokens never issued and cache verified ones
/// (`TokenEventSubscriber`).
///
/// Authenticated: the caller is a server client of the issuer (in a resource's `server_clients`),
/// with `client_secret_basic` (GET or POST) or `private_key_jwt` / `client_secret_post` in a form
/// body (POST). It receives only revocations of tokens whose `aud` contains an audience it serves,
/// re-checked at every read (a client removed from `server_clients` or disabled loses the stream).
/// Another issuer's tokens are never on it: the log is the issuer's own.
///
/// Each event's `id` is the issuer's token-event sequence, assigned in commit order inside the
/// transaction that issued or revoked the token, so `Last-Event-ID` (or `?after=N`) resumes without
/// a gap. Without either, the stream starts with every event of a token that has not expired yet,
/// then follows. `?follow=false` answers the backlog and closes. The data is public facts only:
/// `sequence`, `iss`, `jti`, `exp`, and `claims_digest` (`event: issued`: the lowercase hex SHA-256
/// of the JWS payload) or `reason` (`event: revoked`: a code of ``KeyboundStore/TokenRevocationReason``).
struct TokenEventStream: Sendable {
    let context: ProviderContext

    /// `token-events` on the issuer's route group.
    func register(on issuerRoutes: RouterGroup<ProviderRequestContext>) {
        issuerRoutes.get("token-events") { request, routeContext in try await stream(request, issuer: try routeContext.issuer()) }
        issuerRoutes.post("token-events") { request, routeContext in try await stream(request, issuer: try routeContext.issuer()) }
    }

    func stream(_ request: Request, issuer: IssuerRecord) async throws -> Response {
        let query = try FormBody.query(request)
        let resume = try ServerSentEventsResponse.resumePoint(request, query: query)
        let follow = query["follow"] != "false"
        guard StreamAuthentication.presentsCredentials(request) else {
            throw OAuthError.invalidClient("the token-events stream needs a server client's credentials", basic: true)
        }
        let caller = try await StreamAuthentication(context: context).serverClient(request, issuer: issuer)
        let clientID = caller.client.clientID
        guard let slot = context.streamLimiter.admit(.authenticated(issuerID: issuer.id, clientID: clientID)) else {
            throw ServerSentEventsResponse.refused("client '\(clientID)' has too many open event streams", limits: context.streamLimiter.limits)
        }
        let following = await context.streams.follow(issuer.id)
        let context = self.context
        let start: Int64
        if let resume {
            start = resume
        } else {
            start = try await context.store.firstLiveTokenEventSequence(issuerID: issuer.id, now: context.now()) - 1
        }
        return ServerSentEventsResponse.make(slot: slot, following: following, start: start, follow: follow,
                                             heartbeat: context.configuration.streamLimits.keepAliveInterval) { position in
            // The caller's rights as they are now: removed from server_clients or disabled ends the stream.
            guard let client = try await context.directory.client(issuerID: issuer.id, clientID: clientID),
                  let current = try await StreamAuthentication.caller(client, resources: try context.directory.resources(issuerID: issuer.id)) else {
                return EventStreamBatch(end: true)
            }
            let events = try await context.store.tokenEvents(issuerID: issuer.id, after: position, limit: 500)
            var batch = EventStreamBatch(more: events.count == 500)
            let now = context.now()
            for event in events {
                position = event.sequence
                guard event.expiresAt > now, current.serves(any: event.audience) else { continue }
                batch.text += Self.format(event, issuerURL: issuer.url)
            }
            return batch
        }
    }

    /// One SSE event: `id` = the issuer's token-event sequence, `event: issued` or `event: revoked`,
    /// one-line JSON data (`claims_digest` for an issuance, `reason` for a revocation).
    static func format(_ event: TokenEvent, issuerURL: String) -> String {
        var members = JSONObject([
            "sequence": .number(Double(event.sequence)), "iss": .string(issuerURL), "jti": .string(event.tokenID),
            "exp": .number(event.expiresAt.timeIntervalSince1970.rounded(.down)),
        ])
        let type: String
        switch event.change {
        case .issued(let claimsDigest):
            type = "issued"
            members["claims_digest"] = .string(claimsDigest)
        case .revoked(let reason):
            type = "revoked"
            members["reason"] = .string(reason.rawValue)
        }
        return "id: \(event.sequence)\nevent: \(type)\ndata: \(JSONWriter().string(.object(members)))\n\n"
    }
}
