import Foundation
import Hummingbird
import Keybound
import KeyboundHunt
import KeyboundServer
import Logging

/// `GET /console/hunt`: the hunt (docs/hunt.md) for operators, from a form; the report as the
/// hunt's own HTML section (timeline chart, findings, key use, leads), or as JSON to download.
/// It reads the same stores, through the same checks, as the admin API's `GET /admin/hunt`.
struct ConsoleHuntPage: Sendable {
    let hunt: AdminHunt

    func register(_ pages: ConsolePages, _ console: RouterGroup<ProviderRequestContext>) {
        console.get("hunt") { request, routeContext in
            try await pages.page(request) { user in try await show(user, request, pages: pages, logger: routeContext.logger) }
        }
    }

    func show(_ user: ConsoleUser, _ request: Request, pages: ConsolePages, logger: Logger) async throws -> Response {
        guard user.may(.operatorOnly, issuerID: nil) else {
            return pages.message("Forbidden", "Only an operator may run a hunt: it reads every tenant's audit records.", status: .forbidden, user: user)
        }
        let query = try FormBody.query(request).values
        let issuers = try await pages.context.manager.issuers()
        var page: [String: Any] = [
            "issuers": issuers.map { ["id": $0.id, "selected": query["issuer"].map($0.id.isExactly) ?? false] as [String: Any] },
            "kid": query["kid"] ?? "", "since": query["since"] ?? "", "until": query["until"] ?? "",
        ]
        guard query["run"] == "1" else { return pages.render(ConsoleAppTemplates.render("hunt", page), title: "Hunt", user: user) }
        // An empty field of the form is a parameter not given.
        let parameters = query.filter { !$0.value.isEmpty && $0.key != "run" && $0.key != "format" }
        var status = HTTPResponse.Status.ok
        do {
            let report = try await Hunt.run(try hunt.configuration(parameters))
            logger.info("console: hunt run", metadata: ["actor": "\(user.caller.actor)", "findings": "\(report.maliciousCount)", "leads": "\(report.leadCount)"])
            if query["format"] == "json" {
                return pages.download(JSONWriter(prettyPrinted: true).string(.object(report.jsonObject)) + "\n", fileName: "hunt.json",
                                      contentType: "application/json")
            }
            page["report"] = report.htmlSection
            page["hasReport"] = true
            var json = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(ConsolePages.formEncode($0.value))" }
            json += ["run=1", "format=json"]
            page["jsonURL"] = "/console/hunt?" + json.joined(separator: "&")
        } catch let error as OAuthError {
            page["error"] = error.errorDescription
            status = error.status
        } catch let error as HuntError {
            if error.code == .invalidConfiguration {
                page["error"] = error.message
                status = .badRequest
            } else {
                logger.error("console: hunt failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
                page["error"] = "The stores could not be read; try again."
                status = .serviceUnavailable
            }
        }
        return pages.render(ConsoleAppTemplates.render("hunt", page), title: "Hunt", user: user, status: status)
    }
}
