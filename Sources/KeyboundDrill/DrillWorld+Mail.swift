import Foundation
import Keybound

/// A mail front end's answer.
struct MailAnswer: Sendable {
    let status: Int
    /// The refusal code (`keybound_code`, else `error`), `nil` when served.
    let code: String?
    /// Messages listed.
    let items: Int

    var served: Bool { status == 200 }
    /// `served` or the code, for tables.
    var verdict: String { served ? "served" : (code ?? "HTTP \(status)") }
}

extension DrillWorld {
    /// Lists the newest messages of a mailbox: `mailbox` is an address (an application reading
    /// `/users/{mailbox}/messages`) or `nil` (a person reading their own, `/me/messages`).
    func readMail(at frontEnd: FrontEnd, mailbox: String?, token: String, userAgent: String) async throws -> MailAnswer {
        let path = mailbox.map { "/users/\($0)/messages?$top=5" } ?? "/me/messages?$top=5"
        let reply = try await http.get(url(of: frontEnd) + path, bearer: token, userAgent: userAgent)
        if reply.status == 200 { return MailAnswer(status: 200, code: nil, items: reply.json?["value"]?.arrayValue?.count ?? 0) }
        let json = reply.json
        return MailAnswer(status: reply.status, code: json?["keybound_code"]?.stringValue ?? json?["error"]?.stringValue, items: 0)
    }
}
