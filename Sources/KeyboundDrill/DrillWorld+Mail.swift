import Foundation
import Keybound

/// A mail front end's answer.
struct MailAnswer: Sendable {
    let status: Int
    /// The refusal code (`keybound_code`, else `error`), `nil` when served.
    let code: String?
    /// Messages listed (or audit records, for the audit feed).
    let items: Int

    var served: Bool { status == 200 }
    /// `served` or the code, for tables.
    var verdict: String { served ? "served" : (code ?? "HTTP \(status)") }
}

extension DrillWorld {
    /// Lists the newest messages of a mailbox: `mailbox` is an address (an application reading
    /// `/users/{mailbox}/messages`) or `nil` (a person reading their own, `/me/messages`).
    func readMail(at frontEnd: FrontEnd, mailbox: String?, token: String, userAgent: String) async throws -> MailAnswer {
        try await get(MailPath.messages(of: mailbox), at: frontEnd, token: token, userAgent: userAgent)
    }

    /// GETs `path` (a Keybound Mail route with its query) from a front end with a bearer token.
    /// The items are the listed messages (`value`) or audit records (`records`).
    func get(_ path: String, at frontEnd: FrontEnd, token: String, userAgent: String) async throws -> MailAnswer {
        let reply = try await http.get(url(of: frontEnd) + path, bearer: token, userAgent: userAgent)
        let json = reply.json
        if reply.status == 200 {
            let items = json?["value"]?.arrayValue ?? json?["records"]?.arrayValue ?? []
            return MailAnswer(status: 200, code: nil, items: items.count)
        }
        return MailAnswer(status: reply.status, code: json?["keybound_code"]?.stringValue ?? json?["error"]?.stringValue, items: 0)
    }
}

/// The Keybound Mail routes the drill calls.
enum MailPath {
    /// The newest five messages of `mailbox` (`/users/{mailbox}/messages`), or of the caller's own
    /// mailbox when `nil` (`/me/messages`).
    static func messages(of mailbox: String?) -> String {
        mailbox.map { "/users/\($0)/messages?$top=5" } ?? "/me/messages?$top=5"
    }

    /// The first page of the caller's tenant's audit feed (role `AuditLog.Read.All`).
    static let auditRecords = "/audit/records?limit=100"
}
