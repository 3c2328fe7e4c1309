import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The console's key actions and the admin log page.
///
/// A rotation is open to the issuer's tenant admins. A revocation is for operators only, needs a
/// password typed within the last five minutes (``ConsoleSessionPolicy/freshSignIn``; otherwise
/// the console sends the user to sign in again with `max_age`), a reason, and the key id typed
/// again. Both go through the admin API's handlers (``ConsoleAdminCall``), so they are checked and
/// recorded in the admin log exactly as the API's.
extension ConsoleEndpoints {
    /// `POST /console/issuers/{issuer}/rotate`.
    func rotate(_ signedIn: SignedIn, form: FormBody, issuerID: String, logger: Logger) async throws -> Response {
        var body = JSONObject()
        if let reason = form["reason"]?.trimmingASCIISpaces, !reason.isEmpty { body["reason"] = .string(reason) }
        let issuers = AdminIssuers(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.rotateKeys, logAs: "key.rotate", parameters: [("issuer", issuerID)], body: body) { request, route in
                try await issuers.rotate(request, issuerID: try route.issuer(), route: route)
            }
        switch result {
        case .success: return ConsoleResponses.redirect(to: "/console/issuers/\(issuerID)")
        case .failure(let error): return ConsoleResponses.message("Rotation refused", error.errorDescription, status: error.status, viewer: signedIn.viewer)
        }
    }

    /// `GET /console/issuers/{issuer}/keys/{kid}/revoke`: the confirmation form, after a fresh sign-in.
    func revokeForm(_ signedIn: SignedIn, issuerID: String, keyID: String, error: String? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .operatorOnly)
        guard let key = try await context.manager.keys(issuerID: issuer.id).first(where: { $0.keyID.isExactly(keyID) }) else {
            return ConsoleResponses.message("Not found", "Issuer '\(issuer.id)' has no key with that id.", status: .notFound, viewer: signedIn.viewer)
        }
        if let refreshSignIn = freshSignInRequired(signedIn, returnTo: "/console/issuers/\(issuer.id)/keys/\(key.keyID)/revoke") {
            return refreshSignIn
        }
        var page: [String: Any] = ["issuerID": issuer.id, "kid": key.keyID, "purpose": key.purpose.rawValue, "state": key.state.rawValue,
                                   "csrfToken": signedIn.session.csrfToken,
                                   "action": "/console/issuers/\(issuer.id)/keys/\(key.keyID)/revoke"]
        if let error { page["error"] = error }
        return ConsoleResponses.page("revoke", title: "Revoke \(key.keyID)", context: page, viewer: signedIn.viewer, status: status)
    }

    /// `POST /console/issuers/{issuer}/keys/{kid}/revoke`.
    func revoke(_ signedIn: SignedIn, form: FormBody, issuerID: String, keyID: String, logger: Logger) async throws -> Response {
        guard signedIn.caller.may(.operatorOnly, issuerID: issuerID) else {
            // Recorded as a refused attempt, like the API's.
            let refused = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
                .run(.operatorOnly, logAs: "key.revoke", parameters: [("issuer", issuerID), ("kid", keyID)]) { _, _ in
                    throw OAuthError.serverError("unreachable: the permission check refuses first")
                }
            if case .failure(let error) = refused {
                return ConsoleResponses.message("Forbidden", error.errorDescription, status: .forbidden, viewer: signedIn.viewer)
            }
            return ConsoleResponses.message("Forbidden", "Only an operator may revoke a key.", status: .forbidden, viewer: signedIn.viewer)
        }
        if let refreshSignIn = freshSignInRequired(signedIn, returnTo: "/console/issuers/\(issuerID)/keys/\(keyID)/revoke") {
            return refreshSignIn
        }
        guard let typed = form["confirm_kid"], typed.isExactly(keyID) else {
            return try await revokeForm(signedIn, issuerID: issuerID, keyID: keyID, error: "Type the key id exactly to confirm; nothing was revoked.",
                                        status: .badRequest)
        }
        let reason = form["reason"]?.trimmingASCIISpaces ?? ""
        guard !reason.isEmpty else {
            return try await revokeForm(signedIn, issuerID: issuerID, keyID: keyID, error: "Give a reason; nothing was revoked.", status: .badRequest)
        }
        let issuers = AdminIssuers(context: context)
        let result = await ConsoleAdminCall(context: context, caller: signedIn.caller, logger: logger)
            .run(.operatorOnly, logAs: "key.revoke", parameters: [("issuer", issuerID), ("kid", keyID)], body: JSONObject(["reason": .string(reason)])) { request, route in
                try await issuers.revoke(request, issuerID: try route.issuer(), keyID: try route.decoded("kid"), route: route)
            }
        switch result {
        case .success: return ConsoleResponses.redirect(to: "/console/issuers/\(issuerID)")
        case .failure(let error): return ConsoleResponses.message("Revocation refused", error.errorDescription, status: error.status, viewer: signedIn.viewer)
        }
    }

    /// A redirect to sign in again (with `max_age`) when the user's password was typed more than
    /// five minutes ago; `nil` when it is fresh.
    func freshSignInRequired(_ signedIn: SignedIn, returnTo: String) -> Response? {
        guard !sessions.policy.isFresh(signedIn.session, now: context.now()) else { return nil }
        let target = ConsoleSignIn.consolePath(returnTo) ?? "/console"
        return ConsoleResponses.redirect(to: "/console/sign-in?issuer=\(signedIn.session.issuerID)&fresh=1&return_to=\(ConsoleTokens.formEncode(target))")
    }

    /// `GET /console/issuers/{issuer}/admin-log`: the latest entries acting on the issuer, newest first.
    func adminLogPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        var entries: [AdminLogEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await context.store.adminLog(issuerID: issuer.id, after: after, limit: 500)
            entries += page
            guard let last = page.last, page.count == 500 else { break }
            after = last.sequence
            if entries.count > 5_000 { entries.removeFirst(entries.count - 5_000) }
        }
        let rows: [[String: Any]] = entries.suffix(200).reversed().map { entry in
            let action = entry.action
            return ["sequence": String(entry.sequence), "at": ConsoleKeyTimeline.time(action.at), "actor": "\(action.actorIssuer) · \(action.actorSubject)",
                    "action": action.action, "target": action.target, "reason": action.reason, "outcome": action.outcome,
                    "succeeded": action.outcome == AdminAction.succeeded]
        }
        return ConsoleResponses.page("adminLog", title: "Admin log of \(issuer.id)",
                                     context: ["issuerID": issuer.id, "entries": rows, "count": String(entries.count)], viewer: signedIn.viewer)
    }
}
