import Foundation
import Hummingbird
import Keybound
import KeyboundHummingbird

/// `GET /admin/alerts` (the recent security alerts as JSON, `?after=SEQ`) and
/// `GET /admin/alerts/stream` (the same as Server-Sent Events, live: `id` = alert sequence,
/// `event: alert`, `data` = the alert's JSON; resume with `Last-Event-ID` or `?after`).
/// Alerts live in memory (the last 1,000); the audit log is the durable record.
struct AdminAlerts: Sendable {
    let context: ProviderContext
    /// How often a stream checks for new alerts.
    static let pollInterval: Duration = .milliseconds(100)
    /// A comment is sent this often so proxies keep the stream open.
    static let heartbeat: Duration = .seconds(15)

    func list(_ request: Request) throws -> Response {
        let after = try Self.after(request, header: nil) ?? 0
        let alerts = context.alerts.alerts(after: after)
        return JSONResponse.make(JSONObject(["alerts": .array(alerts.map { .object($0.jsonObject) }),
                                             "latest_sequence": .number(Double(context.alerts.latestSequence))]),
                                 headers: [.cacheControl: "no-store"])
    }

    func stream(_ request: Request) throws -> Response {
        let start = try Self.after(request, header: request.headers[.lastEventID]) ?? context.alerts.latestSequence
        let alerts = context.alerts
        let body = ResponseBody { writer in
            var after = start
            var lastWrite = ContinuousClock.now
            while !Task.isCancelled {
                for alert in alerts.alerts(after: after) {
                    after = alert.sequence
                    let data = JSONWriter().string(.object(alert.jsonObject))
                    try await writer.write(ByteBuffer(string: "id: \(alert.sequence)\nevent: alert\ndata: \(data)\n\n"))
                    lastWrite = .now
                }
                if ContinuousClock.now - lastWrite >= Self.heartbeat {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                try await Task.sleep(for: Self.pollInterval)
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
