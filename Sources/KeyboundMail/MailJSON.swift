import Foundation
import Hummingbird
import Keybound
import KeyboundAudit

/// Keybound Mail's JSON responses (Microsoft Graph's shapes where Graph has one).
enum MailJSON {
    /// `{"value": [message summaries]}`.
    static func list(_ messages: [MailMessage]) -> Response {
        respond(JSONObject(["value": .array(messages.map { .object(summary($0)) })]))
    }

    /// One message with its body.
    static func message(_ message: MailMessage) -> Response {
        var object = summary(message)
        object["body"] = .object(JSONObject(["contentType": .string("text"), "content": .string(message.body)]))
        return respond(object)
    }

    /// 202 with the id of the sender's copy.
    static func accepted(_ sent: MailMessage) -> Response {
        respond(JSONObject(["id": .string(sent.id)]), status: .accepted)
    }

    /// A page of the tenant's audit records; `next_after` continues when the page was full.
    static func auditPage(_ records: [AuditRecord], limit: Int) -> Response {
        var object = JSONObject(["records": .array(records.map { .object($0.jsonObject) })])
        if records.count == limit, let last = records.last { object["next_after"] = .number(Double(last.sequence)) }
        return respond(object)
    }

    static func summary(_ message: MailMessage) -> JSONObject {
        JSONObject([
            "id": .string(message.id), "folder": .string(message.folder.rawValue), "subject": .string(message.subject),
            "from": .string(message.from), "toRecipients": .array(message.to.map(JSONValue.string)),
            "receivedDateTime": .string(message.receivedAt.formatted(Date.ISO8601FormatStyle())),
            "bodyPreview": .string(String(message.body.prefix(120))),
        ])
    }

    static func respond(_ object: JSONObject, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(.object(object)))))
    }
}
