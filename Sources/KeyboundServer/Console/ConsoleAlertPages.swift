import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// The console's alert view, for operators (alerts concern every issuer: ``AdminPermission/operatorOnly``):
/// the recent security alerts, each linked to the key's issuer, and the live stream of new ones.
extension ConsoleEndpoints {
    /// `GET /console/alerts`.
    func alertsPage(_ signedIn: SignedIn) async throws -> Response {
        guard signedIn.caller.may(.operatorOnly, issuerID: nil) else {
            return ConsoleResponses.message("Forbidden", "Only an operator may read the alerts.", status: .forbidden, viewer: signedIn.viewer)
        }
        let recordsPath = extensions.lazy.compactMap(\.alertRecordsPath).first
        let alerts: [JSONObject]
        if let shared = context.sharedAlerts { alerts = try await shared.list(after: 0) } else { alerts = context.alerts.alerts(after: 0).map(\.jsonObject) }
        let issuers = try await context.manager.issuers()
        func issuerID(_ url: String?) -> String? { url.flatMap { url in issuers.first { $0.url.isExactly(url) }?.id } }
        let rows: [[String: Any]] = alerts.suffix(200).reversed().map { alert in
            func field(_ name: String) -> String { alert[name]?.stringValue ?? "" }
            var row: [String: Any] = [
                "sequence": alert["sequence"]?.numberValue.map { String(Int64($0)) } ?? "", "time": field("time"), "code": field("code"),
                "summary": field("summary"), "kid": field("kid"), "jti": field("jti"),
                "context": ["client_id", "tenant", "mailbox", "client_ip"].compactMap { name in alert[name]?.stringValue.map { "\(name) \($0)" } }
                    .joined(separator: ", "),
            ]
            if let id = issuerID(alert["key_issuer"]?.stringValue) ?? issuerID(alert["iss"]?.stringValue) { row["issuerPath"] = "/console/issuers/\(id)" }
            if let recordsPath, let jti = alert["jti"]?.stringValue, !jti.isEmpty { row["recordsURL"] = recordsPath + "?jti=" + ConsoleTokens.formEncode(jti) }
            return row
        }
        var issuerMap = JSONObject()
        for issuer in issuers { issuerMap[issuer.url] = .string(issuer.id) }
        var page: [String: Any] = ["alerts": rows, "issuersJSON": JSONWriter().string(.object(issuerMap))]
        if let recordsPath { page["recordsPath"] = recordsPath }
        return ConsoleResponses.page("alerts", title: "Alerts", context: page,
                                     viewer: signedIn.viewer, live: true)
    }

    /// `GET /console/issuers/{issuer}/alerts`: the recent alerts that concern one issuer, for its
    /// tenant admins and operators: those about its keys (`key_issuer`, the key's owner as the
    /// validator found it) and those about tokens that named it as their issuer (`iss`, as claimed).
    func issuerAlertsPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        let alerts: [JSONObject]
        if let shared = context.sharedAlerts { alerts = try await shared.list(after: 0) } else { alerts = context.alerts.alerts(after: 0).map(\.jsonObject) }
        let own = alerts.filter { alert in
            [alert["key_issuer"]?.stringValue, alert["iss"]?.stringValue].contains { $0.map { $0.isExactly(issuer.url) } ?? false }
        }
        let rows: [[String: Any]] = own.suffix(200).reversed().map { alert in
            func field(_ name: String) -> String { alert[name]?.stringValue ?? "" }
            let ownKey = alert["key_issuer"]?.stringValue.map { $0.isExactly(issuer.url) } ?? false
            return ["sequence": alert["sequence"]?.numberValue.map { String(Int64($0)) } ?? "", "time": field("time"), "code": field("code"),
                    "summary": field("summary"), "kid": field("kid"), "jti": field("jti"),
                    "concerns": ownKey ? "a key of this issuer" : "a token naming this issuer",
                    "context": ["client_id", "tenant", "mailbox", "client_ip"].compactMap { name in alert[name]?.stringValue.map { "\(name) \($0)" } }
                        .joined(separator: ", ")]
        }
        return ConsoleResponses.page("issuerAlerts", title: "Alerts of \(issuer.id)",
                                     context: ["issuerID": issuer.id, "alerts": rows, "hasAlerts": !rows.isEmpty], viewer: signedIn.viewer)
    }

    /// `GET /console/alerts/stream`: the admin API's alert stream (Server-Sent Events), for a
    /// signed-in operator; `EventSource` sends the session cookie, never a bearer token.
    func alertStream(_ signedIn: SignedIn, _ request: Request) async throws -> Response {
        guard signedIn.caller.may(.operatorOnly, issuerID: nil) else {
            return ConsoleResponses.message("Forbidden", "Only an operator may read the alerts.", status: .forbidden, viewer: signedIn.viewer)
        }
        var response = try await AdminAlerts(context: context).stream(request)
        response.headers[.contentSecurityPolicy] = ConsoleResponses.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
