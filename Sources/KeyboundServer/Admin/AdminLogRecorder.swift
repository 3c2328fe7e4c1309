import Hummingbird
import KeyboundStore
import Logging
import Synchronization

/// What a handler adds to its admin log entry: the reason the request gave.
package final class AdminActionNote: Sendable {
    private let state = Mutex("")

    /// The reason the request gave (a revocation's), empty when none.
    package var reason: String {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    init() {}
}

/// Records one admin API request in the admin log (``AdminLogStore``): the caller as (iss, sub),
/// the action, the issuer and the target in the path (or, for a creation, the `Location` of what
/// was created), the reason, and the outcome: `succeeded`, or `refused <status> <error>` for a 4xx
/// answer, `failed <status> <error>` for a 5xx one.
///
/// The entry is written after the action, in its own transaction. If the log cannot be written
/// (the database went away in between), the action stands and the node logs a `critical` line
/// with every field of the entry, so that nothing done goes unrecorded anywhere.
struct AdminLogRecorder: Sendable {
    let context: ProviderContext
    let route: AdminRoute
    let action: String
    let issuerID: String?

    /// Records a response the handler returned.
    func record(_ response: Response) async {
        let created = response.headers[.location].flatMap { $0.split(separator: "/").last }.map { String($0).removingPercentEncoding ?? String($0) }
        await append(outcome: response.status.code < 400 ? AdminAction.succeeded : "refused \(response.status.code)", createdTarget: created)
    }

    /// Records an error the request was answered with.
    func record(_ error: any Error) async {
        let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
        let code = (error as? OAuthError)?.error ?? "server_error"
        await append(outcome: "\(status.code < 500 ? "refused" : "failed") \(status.code) \(code)", createdTarget: nil)
    }

    private func append(outcome: String, createdTarget: String?) async {
        let actor = route.caller.logged
        let pathTarget = ["kid", "client", "username", "audience"].lazy.compactMap(route.parameter).first
        var issuer = issuerID ?? (action == "issuer.create" ? createdTarget : nil)
        var target = pathTarget ?? (action == "issuer.create" ? "" : createdTarget ?? "")
        // A refusal on an issuer that does not exist is filed under no issuer (operators see it; no
        // tenant created later inherits it), with the id tried in the target.
        if let tried = issuer, outcome != AdminAction.succeeded, (try? await context.manager.issuer(id: tried)) == nil {
            issuer = nil
            target = target.isEmpty ? tried : "\(tried)/\(target)"
        }
        let entry = AdminAction(at: context.now(), actorIssuer: actor.issuer, actorSubject: actor.subject, action: action,
                                issuerID: issuer, target: target, reason: route.note.reason, outcome: outcome)
        do {
            try await context.store.appendAdminAction(entry)
        } catch {
            route.logger.critical("admin log: the entry could not be written; the action stands", metadata: [
                "action": "\(entry.action)", "actor_iss": "\(entry.actorIssuer)", "actor_sub": "\(entry.actorSubject)",
                "issuer": "\(entry.issuerID ?? "-")", "target": "\(entry.target)", "outcome": "\(entry.outcome)", "error": "\(error.message)",
            ])
        }
    }
}
