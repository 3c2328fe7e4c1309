import Foundation
import Hummingbird
import KeyboundResourceKit

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
    @Sendable static func classify(_ request: Request) -> ResourceAttempt {
        let parts = ResourceAttempt.pathSegments(request)
        let (operation, mailbox, items): (MailOperation, String?, [String])
        switch (request.method, parts.count) {
        case (.get, 2) where parts == ["me", "messages"]: (operation, mailbox, items) = (.listMessages, nil, [])
        case (.get, 3) where parts[0] == "me" && parts[1] == "messages": (operation, mailbox, items) = (.readMessage, nil, [parts[2]])
        case (.post, 2) where parts == ["me", "sendMail"]: (operation, mailbox, items) = (.sendMail, nil, [])
        case (.get, 3) where parts[0] == "users" && parts[2] == "messages": (operation, mailbox, items) = (.listMessages, parts[1], [])
        case (.get, 2) where parts == ["audit", "records"]: (operation, mailbox, items) = (.readAudit, nil, [])
        default: (operation, mailbox, items) = (.other, nil, [])
        }
        return ResourceAttempt(operation: operation.rawValue, resource: mailbox, items: items)
    }
}
