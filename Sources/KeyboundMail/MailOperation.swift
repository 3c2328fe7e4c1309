import Foundation
import Hummingbird

/// What a request to Keybound Mail attempts, as recorded in the audit log's `operation`.
public enum MailOperation: String, Sendable, CaseIterable {
    /// `GET /me/messages`, `GET /users/{user}/messages`.
    case listMessages = "messages.list"
    /// `GET /me/messages/{id}`.
    case readMessage = "messages.read"
    /// `POST /me/sendMail`.
    case sendMail = "mail.send"
    /// `GET /audit/records`.
    case readAudit = "audit.read"
    /// Anything else (an unknown route, when a token was refused before routing mattered).
    case other = "other"

    /// The operation and the addressed mailbox and item named by a request's path, before any
    /// token is trusted: `/users/{user}/…` names a mailbox, `/me/messages/{id}` an item.
    static func classify(_ request: Request) -> (operation: MailOperation, mailbox: String?, items: [String]) {
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        switch (request.method, parts.count) {
        case (.get, 2) where parts == ["me", "messages"]: return (.listMessages, nil, [])
        case (.get, 3) where parts[0] == "me" && parts[1] == "messages": return (.readMessage, nil, [parts[2]])
        case (.post, 2) where parts == ["me", "sendMail"]: return (.sendMail, nil, [])
        case (.get, 3) where parts[0] == "users" && parts[2] == "messages": return (.listMessages, parts[1], [])
        case (.get, 2) where parts == ["audit", "records"]: return (.readAudit, nil, [])
        default: return (.other, nil, [])
        }
    }
}
