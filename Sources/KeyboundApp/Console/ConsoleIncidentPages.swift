import Foundation
import Hummingbird
import Keybound
import KeyboundHunt
import KeyboundIncident
import KeyboundServer
import KeyboundStore
import Logging

/// The console's incident pages (docs/console.md):
/// - an operator starts `incident respond` for a key (a fresh sign-in, a reason and the kid typed
///   again), through the admin API's permission check and admin log, and watches its steps;
/// - an operator reads and downloads every document of an incident;
/// - a tenant admin reads and downloads the notices addressed to its own organisation, and nothing else.
struct ConsoleIncidentPages: Sendable {
    let desk: IncidentDesk
    var context: ProviderContext { desk.context }

    func register(_ pages: ConsolePages, _ console: RouterGroup<ProviderRequestContext>) {
        let parameter = ConsolePages.parameter
        console.get("incidents") { request, _ in try await pages.page(request) { try await list($0, pages) } }
        console.get("notices") { request, _ in try await pages.page(request) { try await notices($0, pages) } }
        console.get("issuers/:issuer/keys/:kid/respond") { request, routeContext in
            try await pages.page(request) { try await respondForm($0, pages, issuerID: parameter(routeContext, "issuer"), keyID: parameter(routeContext, "kid")) }
        }
        console.post("issuers/:issuer/keys/:kid/respond") { request, routeContext in
            try await pages.form(request) {
                try await respond($0, form: $1, pages, issuerID: parameter(routeContext, "issuer"), keyID: parameter(routeContext, "kid"),
                                  logger: routeContext.logger)
            }
        }
        console.get("incidents/:incident") { request, routeContext in
            try await pages.page(request) { try await show($0, pages, id: parameter(routeContext, "incident")) }
        }
        console.get("incidents/:incident/state") { request, routeContext in
            try await pages.page(request) { try await state($0, pages, id: parameter(routeContext, "incident")) }
        }
        console.get("incidents/:incident/document") { request, routeContext in
            try await pages.page(request) { try await document($0, pages, id: parameter(routeContext, "incident"), request: request) }
        }
    }

    static func time(_ date: Date?) -> String { date.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "—" }

    private func operatorOnly(_ user: ConsoleUser, _ pages: ConsolePages, _ what: String) -> Response? {
        user.may(.operatorOnly, issuerID: nil) ? nil : pages.message("Forbidden", "Only an operator may \(what).", status: .forbidden, user: user)
    }

    /// `GET /console/incidents` (operators).
    func list(_ user: ConsoleUser, _ pages: ConsolePages) async throws -> Response {
        if let refused = operatorOnly(user, pages, "read the incidents") { return refused }
        let rows: [[String: Any]] = try await desk.all().reversed().map { record in
            ["id": record.id, "issuerID": record.issuerID, "kid": record.keyID, "opened": Self.time(record.openedAt), "reason": record.reason,
             "state": record.isClosed ? "closed" : "open at \(record.nextStep?.rawValue ?? "?")"]
        }
        return pages.render(ConsoleAppTemplates.render("incidents", ["incidents": rows, "hasIncidents": !rows.isEmpty]), title: "Incidents", user: user)
    }

    /// `GET /console/issuers/{issuer}/keys/{kid}/respond`: the confirmation form, after a fresh sign-in.
    func respondForm(_ user: ConsoleUser, _ pages: ConsolePages, issuerID: String, keyID: String, error: String? = nil,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let issuer = try await pages.visibleIssuer(user, issuerID: issuerID, .operatorOnly)
        guard let key = try await context.manager.keys(issuerID: issuer.id).first(where: { $0.keyID.isExactly(keyID) }) else {
            return pages.message("Not found", "Issuer '\(issuer.id)' has no key with that id.", status: .notFound, user: user)
        }
        if let signIn = pages.freshSignInRequired(user, returnTo: "/console/issuers/\(issuer.id)/keys/\(key.keyID)/respond") { return signIn }
        var page: [String: Any] = ["issuerID": issuer.id, "kid": key.keyID, "purpose": key.purpose.rawValue, "state": key.state.rawValue,
                                   "csrfToken": user.csrfToken]
        if let error { page["error"] = error }
        return pages.render(ConsoleAppTemplates.render("incidentNew", page), title: "Respond to \(key.keyID)", user: user, status: status)
    }

    /// `POST /console/issuers/{issuer}/keys/{kid}/respond`: opens (or finds) the key's incident,
    /// starts its steps in the background, and shows its page.
    func respond(_ user: ConsoleUser, form: FormBody, _ pages: ConsolePages, issuerID: String, keyID: String, logger: Logger) async throws -> Response {
        let parameters = [("issuer", issuerID), ("kid", keyID)]
        guard user.may(.operatorOnly, issuerID: issuerID) else {
            // Recorded as a refused attempt, like the API's.
            let refused = await pages.adminCall(user, .operatorOnly, logAs: "incident.respond", parameters: parameters, logger: logger) { _, _ in
                throw OAuthError.serverError("unreachable: the permission check refuses first")
            }
            if case .failure(let error) = refused { return pages.message("Forbidden", error.errorDescription, status: .forbidden, user: user) }
            return pages.message("Forbidden", "Only an operator may respond to an incident.", status: .forbidden, user: user)
        }
        let returnTo = "/console/issuers/\(issuerID)/keys/\(keyID)/respond"
        if let signIn = pages.freshSignInRequired(user, returnTo: returnTo) { return signIn }
        guard let typed = form["confirm_kid"], typed.isExactly(keyID) else {
            return try await respondForm(user, pages, issuerID: issuerID, keyID: keyID, error: "Type the key id exactly to confirm; nothing was done.",
                                         status: .badRequest)
        }
        guard let reason = IncidentDesk.checkedReason(form["reason"]) else {
            return try await respondForm(user, pages, issuerID: issuerID, keyID: keyID,
                                         error: "Give a reason of one line, at most 500 bytes; nothing was done.", status: .badRequest)
        }
        let result = await pages.adminCall(user, .operatorOnly, logAs: "incident.respond", parameters: parameters,
                                           body: JSONObject(["reason": .string(reason)]), logger: logger) { _, route in
            route.note.reason = reason
            let record = try await desk.start(issuerID: issuerID, keyID: keyID, reason: reason, actor: user.caller.actor, logger: logger)
            route.audit("incident response started", ["incident": "\(record.id)", "issuer": "\(issuerID)", "kid": "\(keyID)"])
            return AdminResponse.make(JSONObject(["incident": .string(record.id)]))
        }
        switch result {
        case .success(let answer):
            guard let id = answer["incident"]?.stringValue else { throw OAuthError.serverError("the response did not name its incident") }
            return pages.redirect(to: "/console/incidents/\(id)")
        case .failure(let error):
            return pages.message("Incident response refused", error.errorDescription, status: error.status, user: user)
        }
    }

    /// The steps of `record`, done and to do, for the page and its polling.
    func steps(_ record: IncidentRecord) -> [[String: Any]] {
        IncidentStep.allCases.map { step in
            let done = record.completed.first { $0.step == step }
            var row: [String: Any] = ["step": step.rawValue, "done": done != nil]
            if let done { row["detail"] = done.detail }
            return row
        }
    }

    /// `GET /console/incidents/{id}` (operators): the steps (live while they run) and the documents.
    func show(_ user: ConsoleUser, _ pages: ConsolePages, id: String) async throws -> Response {
        if let refused = operatorOnly(user, pages, "read an incident") { return refused }
        let record = try await desk.record(id)
        let (running, error) = desk.progress(record)
        let names = try await desk.documentNames(record)
        let base = "/console/incidents/\(record.id)/document?name="
        var page: [String: Any] = [
            "id": record.id, "issuerID": record.issuerID, "kid": record.keyID, "reason": record.reason, "opened": Self.time(record.openedAt),
            "steps": steps(record), "live": running, "canResume": !record.isClosed && !running, "csrfToken": user.csrfToken,
            "status": record.isClosed ? "Closed: every step is done." : running ? "Running: the steps below update as they complete." : error ?? "",
            "statusClass": error == nil ? "muted" : "error",
            "documents": names.map { ["name": $0, "readURL": base + ConsolePages.formEncode($0),
                                      "downloadURL": base + ConsolePages.formEncode($0) + "&download=1"] },
        ]
        if let fresh = record.freshKeyID { page["freshKid"] = fresh }
        if let tokens = record.tokensRevoked { page["tokensRevoked"] = String(tokens); page["chainsRevoked"] = String(record.chainsRevoked ?? 0) }
        return pages.render(ConsoleAppTemplates.render("incident", page), title: "Incident \(record.id)", user: user, live: running)
    }

    /// `GET /console/incidents/{id}/state` (operators): the steps as JSON, for the page's polling.
    func state(_ user: ConsoleUser, _ pages: ConsolePages, id: String) async throws -> Response {
        if let refused = operatorOnly(user, pages, "read an incident") { return refused }
        return pages.json(try await desk.state(try await desk.record(id), documents: false))
    }

    /// `GET /console/incidents/{id}/document?name=…[&download=1]`: one document, shown or downloaded.
    /// Operators read every document; a tenant admin only the notices addressed to its organisation.
    func document(_ user: ConsoleUser, _ pages: ConsolePages, id: String, request: Request) async throws -> Response {
        let query = try FormBody.query(request)
        guard let name = query["name"], !name.isEmpty else { throw OAuthError.invalidRequest("the 'name' parameter is missing") }
        let record = try await desk.record(id)
        if !user.may(.operatorOnly, issuerID: nil) {
            guard try await ownNotices(user, in: record).contains(where: { $0.documents.contains(name) }) else {
                return pages.message("Forbidden", "A tenant admin reads the notices addressed to its own organisation only.", status: .forbidden, user: user)
            }
        }
        let text = try await desk.document(name, of: record)
        if query["download"] == "1" {
            let type = name.hasSuffix(".json") ? "application/json" : "text/markdown; charset=utf-8"
            return pages.download(text, fileName: "\(record.id)-\(name.replacingOccurrences(of: "/", with: "-"))", contentType: type)
        }
        let base = "/console/incidents/\(record.id)/document?name=\(ConsolePages.formEncode(name))"
        let page: [String: Any] = ["name": name, "incidentID": record.id, "text": text, "downloadURL": base + "&download=1",
                                   "incidentURL": user.may(.operatorOnly, issuerID: nil) ? "/console/incidents/\(record.id)" : "/console/notices"]
        return pages.render(ConsoleAppTemplates.render("document", page), title: name, user: user)
    }

    /// One organisation's notice in an incident.
    struct Notice {
        let incidentID: String
        let tenant: String
        let tenantIssuer: String
        let fileName: String
        var documents: [String] { ["notices/\(fileName).md", "notices/\(fileName).json"] }
    }

    /// The notices of `record` (from its `summary.json`).
    func notices(of record: IncidentRecord) async throws -> [Notice] {
        let text: String?
        do { text = try await desk.incidents.document(named: "summary.json", incidentID: record.id) } catch { throw OAuthError.storeUnavailable() }
        guard let text, let summary = try? StrictJSONParser.parseObject(Array(text.utf8)) else { return [] }
        return (summary["organisations"]?.arrayValue ?? []).compactMap { entry in
            guard let object = entry.objectValue, let tenant = object["tenant"]?.stringValue, let issuer = object["tenant_issuer"]?.stringValue,
                  let file = object["notice"]?.stringValue else { return nil }
            return Notice(incidentID: record.id, tenant: tenant, tenantIssuer: issuer, fileName: file)
        }
    }

    /// The notices of `record` addressed to the tenant admin's organisation: its issuer's URL and
    /// tenant id, compared by exact bytes.
    func ownNotices(_ user: ConsoleUser, in record: IncidentRecord) async throws -> [Notice] {
        let issuer = try await context.manager.issuer(id: user.issuerID)
        guard let tenantID = issuer.tenantID else { return [] }
        return try await notices(of: record).filter { $0.tenantIssuer.isExactly(issuer.url) && $0.tenant.isExactly(tenantID) }
    }

    /// `GET /console/notices`: every notice (operators), or the tenant admin's organisation's.
    func notices(_ user: ConsoleUser, _ pages: ConsolePages) async throws -> Response {
        let records = try await desk.all()
        let isOperator = user.may(.operatorOnly, issuerID: nil)
        var rows: [[String: Any]] = []
        for record in records.reversed() {
            let listed = isOperator ? try await notices(of: record) : try await ownNotices(user, in: record)
            for notice in listed {
                let base = "/console/incidents/\(record.id)/document?name="
                rows.append(["incidentID": record.id, "tenant": notice.tenant, "tenantIssuer": notice.tenantIssuer,
                             "readURL": base + ConsolePages.formEncode(notice.documents[0]),
                             "downloadURL": base + ConsolePages.formEncode(notice.documents[0]) + "&download=1",
                             "jsonURL": base + ConsolePages.formEncode(notice.documents[1]) + "&download=1"])
            }
        }
        let note = isOperator ? "Every organisation's notice, from every incident." : "The notices addressed to your organisation."
        return pages.render(ConsoleAppTemplates.render("notices", ["notices": rows, "hasNotices": !rows.isEmpty, "scopeNote": note]),
                            title: "Notices", user: user)
    }
}
