import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird
import KeyboundValidation

/// `GET /admin/alerts` (the recent security alerts as JSON, `?after=SEQ`) and
/// `GET /admin/alerts/stream` (the same as Server-Sent Events, live: `id` = alert sequence,
/// `event: alert`, `data` = the alert's JSON; resume with `Last-Event-ID` or `?after`).
///
/// On one node the alerts live in this process's memory (the last 1,000). On a store shared by
/// several nodes (PostgreSQL) they are the shared alert log's, every node's, numbered by the log,
/// each naming its `node` (``SharedAlertLog``). The audit log is the durable record.
struct AdminAlerts: Sendable {
    let context: ProviderContext
    /// How often a stream checks for new alerts in memory.
    static let pollInterval: Duration = .milliseconds(100)
    /// How often a stream reads a shared alert log.
    static let sharedPollInterval: Duration = .milliseconds(500)
    /// A comment is sent this often so proxies keep the stream open.
    static let heartbeat: Duration = .seconds(15)

    func list(_ request: Request) async throws -> Response {
        let after = try Self.after(request, header: nil) ?? 0
        let alerts: [JSONObject], latest: Int64
        if let shared = context.sharedAlerts {
            latest = try await shared.store.latestAlertSequence()
            alerts = try await shared.list(after: after)
        } else {
            latest = context.alerts.latestSequence
            alerts = context.alerts.alerts(after: after).map(\.jsonObject)
        }
        return JSONResponse.make(JSONObject(["alerts": .array(alerts.map { .object($0) }), "latest_sequence": .number(Double(latest))]),
                                 headers: [.cacheControl: "no-store"])
    }

    func stream(_ request: Request) async throws -> Response {
        let alerts = context.alerts, shared = context.sharedAlerts
        let requested = try Self.after(request, header: request.headers[.lastEventID])
        let start: Int64
        if let requested {
            start = requested
        } else {
            start = try await shared?.store.latestAlertSequence() ?? alerts.latestSequence
        }
        let body = ResponseBody { writer in
            var after = start
            var lastWrite = ContinuousClock.now
            while !Task.isCancelled {
                // A shared log that cannot be read now is read again at the next poll.
                let batch = if let shared { (try? await shared.list(after: after)) ?? [] } else { alerts.alerts(after: after).map(\.jsonObject) }
                for alert in batch {
                    guard case .number(let sequence)? = alert["sequence"] else { continue }
                    after = Int64(sequence)
                    let data = JSONWriter().string(.object(alert))
                    try await writer.write(ByteBuffer(string: "id: \(after)\nevent: alert\ndata: \(data)\n\n"))
                    lastWrite = .now
                }
                if ContinuousClock.now - lastWrite >= Self.heartbeat {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try await Task.sleep(for: shared == nil ? Self.pollInterval : Self.sharedPollInterval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The sequence to start after: `Last-Event-ID`, else `?after`, else `nil`.
    static func after(_ request: Request, header: String?) throws -> Int64? {
        guard let text = header ?? request.uri.queryParameters["after"].map(String.init) else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw OAuthError.invalidRequest("after / Last-Event-ID must be a non-negative alert sequence number")
        }
        return value
    }
}
