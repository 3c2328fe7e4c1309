import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The console at `/console`: server-rendered pages for operators and tenant admins
/// (docs/console.md), served when the admin API is enabled.
///
/// Every page resolves its session first (``resolveSession(_:)``): the cookie names a live session
/// (``ConsoleSessions``), its access token is refreshed when it is about to expire, and the token
/// must still be a console credential (``ConsoleCredentials``), checked as (issuer, role) on every
/// request, so a role taken away ends the console access at the next click. What a page shows is
/// then filtered by the same permissions as the admin API (``AdminCaller/may(_:issuerID:)``).
struct ConsoleEndpoints: Sendable {
    let context: ProviderContext
    let sessions: ConsoleSessions
    let cookies: ConsoleCookies
    /// Pages other modules add (the hunt and incidents).
    let extensions: [ConsoleExtension]
    var signIn: ConsoleSignIn { ConsoleSignIn(context: context, sessions: sessions, cookies: cookies) }

    init(context: ProviderContext, sessions: ConsoleSessions = ConsoleSessions(), extensions: [ConsoleExtension] = []) {
        self.context = context
        self.sessions = sessions
        self.extensions = extensions
        cookies = ConsoleCookies(publicURL: context.configuration.consoleBaseURL)
    }

    func register(on router: Router<ProviderRequestContext>) {
        let console = router.group("console")
        let extensionStyles = extensions.map(\.stylesheet).joined(separator: "\n")
        console.get(RouterPath(ConsoleStylesheet.path.split(separator: "/").last.map(String.init) ?? "console.css")) { _, _ in
            ConsoleResponses.stylesheet(extensionStyles)
        }
        console.get(RouterPath(ConsoleScript.path.split(separator: "/").last.map(String.init) ?? "console.js")) { _, _ in
            ConsoleResponses.script()
        }
        console.get("sign-in") { request, _ in await Self.withoutSession { try await signIn.start(request) } }
        console.get("callback") { request, _ in await Self.withoutSession { try await signIn.callback(request) } }
        console.post("sign-out") { request, _ in await Self.withoutSession { try await signIn.signOut(request) } }
        console.get("") { request, _ in try await page(request) { try await home($0) } }
        console.post("issuers/:issuer/console-client") { request, routeContext in
            try await form(request) { signedIn, _ in try await enableConsoleSignIn(signedIn, issuerID: Self.parameter(routeContext, "issuer"), logger: routeContext.logger) }
        }
        console.post("issuers") { request, routeContext in
            try await form(request) { try await createIssuer($0, form: $1, logger: routeContext.logger) }
        }
        console.get("issuers/:issuer") { request, routeContext in
            try await page(request) { try await issuerPage($0, issuerID: routeContext.parameters.get("issuer") ?? "") }
        }
        console.post("issuers/:issuer/rotate") { request, routeContext in
            try await form(request) { try await rotate($0, form: $1, issuerID: routeContext.parameters.get("issuer") ?? "", logger: routeContext.logger) }
        }
        console.get("issuers/:issuer/keys/:kid/revoke") { request, routeContext in
            try await page(request) {
                try await revokeForm($0, issuerID: routeContext.parameters.get("issuer") ?? "", keyID: routeContext.parameters.get("kid") ?? "")
            }
        }
        console.post("issuers/:issuer/keys/:kid/revoke") { request, routeContext in
            try await form(request) {
                try await revoke($0, form: $1, issuerID: routeContext.parameters.get("issuer") ?? "",
                                 keyID: routeContext.parameters.get("kid") ?? "", logger: routeContext.logger)
            }
        }
        registerDirectory(on: console)
        console.get("alerts") { request, _ in try await page(request) { try await alertsPage($0) } }
        console.get("alerts/stream") { request, _ in try await page(request) { try await alertStream($0, request) } }
        console.get("issuers/:issuer/alerts") { request, routeContext in
            try await page(request) { try await issuerAlertsPage($0, issuerID: Self.parameter(routeContext, "issuer")) }
        }
        console.get("issuers/:issuer/admin-log") { request, routeContext in
            try await page(request) { try await adminLogPage($0, issuerID: routeContext.parameters.get("issuer") ?? "") }
        }
        for consoleExtension in extensions { consoleExtension.register(ConsolePages(endpoints: self), console) }
    }

    /// The header's links: the alerts (operators), then the extensions'.
    var links: [ConsoleExtension.Link] {
        [ConsoleExtension.Link(title: "Alerts", path: "/console/alerts", operatorsOnly: true)] + extensions.flatMap(\.links)
    }

    /// The clients and users pages and their forms.
    private func registerDirectory(on console: RouterGroup<ProviderRequestContext>) {
        let parameter = Self.parameter
        console.get("issuers/:issuer/clients") { request, routeContext in
            try await page(request) { try await clientsPage($0, issuerID: parameter(routeContext, "issuer")) }
        }
        console.post("issuers/:issuer/clients") { request, routeContext in
            try await form(request) { try await createClient($0, form: $1, issuerID: parameter(routeContext, "issuer"), logger: routeContext.logger) }
        }
        console.post("issuers/:issuer/clients/:client/:action") { request, routeContext in
            try await form(request) {
                try await clientAction($0, form: $1, issuerID: parameter(routeContext, "issuer"), clientID: parameter(routeContext, "client"),
                                       action: parameter(routeContext, "action"), logger: routeContext.logger)
            }
        }
        console.get("issuers/:issuer/resources") { request, routeContext in
            try await page(request) { try await resourcesPage($0, issuerID: parameter(routeContext, "issuer")) }
        }
        console.post("issuers/:issuer/resources") { request, routeContext in
            try await form(request) { try await registerResource($0, form: $1, issuerID: parameter(routeContext, "issuer"), logger: routeContext.logger) }
        }
        console.post("issuers/:issuer/resources/:audience/roles") { request, routeContext in
            try await form(request) {
                try await addResourceRole($0, form: $1, issuerID: parameter(routeContext, "issuer"), audience: parameter(routeContext, "audience"),
                                          logger: routeContext.logger)
            }
        }
        console.post("issuers/:issuer/resources/:audience/server-clients") { request, routeContext in
            try await form(request) {
                try await setServerClients($0, form: $1, issuerID: parameter(routeContext, "issuer"), audience: parameter(routeContext, "audience"),
                                           logger: routeContext.logger)
            }
        }
        console.get("issuers/:issuer/users") { request, routeContext in
            try await page(request) { try await usersPage($0, issuerID: parameter(routeContext, "issuer")) }
        }
        console.post("issuers/:issuer/users") { request, routeContext in
            try await form(request) { try await createUser($0, form: $1, issuerID: parameter(routeContext, "issuer"), logger: routeContext.logger) }
        }
        console.post("issuers/:issuer/users/:username/:action") { request, routeContext in
            try await form(request) {
                try await userAction($0, form: $1, issuerID: parameter(routeContext, "issuer"), username: parameter(routeContext, "username"),
                                     action: parameter(routeContext, "action"), logger: routeContext.logger)
            }
        }
    }

    /// The path parameter `name`, percent-decoded (as sent when it does not decode; the handlers
    /// refuse what they cannot use), or empty.
    @Sendable static func parameter(_ routeContext: ProviderRequestContext, _ name: String) -> String {
        routeContext.parameters.get(name).map { $0.removingPercentEncoding ?? $0 } ?? ""
    }

    /// Serves a route that needs no session (sign-in, its callback, sign-out): a refusal (a
    /// malformed query or form, the database unavailable) is a console page with its status, not
    /// the API's JSON.
    static func withoutSession(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return ConsoleResponses.message("Sign-in", error.errorDescription, status: error.status)
        } catch let error as StoreError {
            let answer = AdminEndpoints.map(error, logger: Logger(label: "keybound.console"))
            return ConsoleResponses.message("Sign-in", answer.errorDescription, status: answer.status)
        } catch {
            return ConsoleResponses.message("Sign-in", "The request could not be read.", status: .badRequest)
        }
    }

    /// Serves a page to a signed-in user; anyone else gets the sign-in page (which comes back here),
    /// or 403 when their console role is gone. A refused request (a malformed form or query) is an
    /// HTML page with its status, like every console answer.
    func page(_ request: Request, _ body: (SignedIn) async throws -> Response) async throws -> Response {
        switch await resolveSession(request) {
        case .success(let signedIn):
            do {
                return try await body(signedIn)
            } catch let answer as ConsolePageAnswer {
                return answer.response
            } catch let error as OAuthError {
                return ConsoleResponses.message("Refused", error.errorDescription, status: error.status, viewer: signedIn.viewer)
            } catch let error as StoreError {
                let answer = AdminEndpoints.map(error, logger: Logger(label: "keybound.console"))
                return ConsoleResponses.message("Refused", answer.errorDescription, status: answer.status, viewer: signedIn.viewer)
            }
        case .failure(let refusal):
            return await refused(refusal, returnTo: request.uri.path)
        }
    }

    /// Serves a state-changing form: as ``page(_:_:)``, and only if the form carries the
    /// session's CSRF token (403 otherwise, with nothing changed).
    func form(_ request: Request, _ body: @escaping (SignedIn, FormBody) async throws -> Response) async throws -> Response {
        try await page(request) { signedIn in
            let form = try await FormBody.read(request)
            guard let token = form["csrf_token"], Secrets.constantTimeEquals(token, signedIn.session.csrfToken) else {
                return ConsoleResponses.message("Refused", "The form is missing its CSRF token, or it is not this session's; nothing was changed.",
                                                status: .forbidden, viewer: signedIn.viewer)
            }
            return try await body(signedIn, form)
        }
    }

    /// A signed-in request: the session, who it is, and the header shown on its pages.
    struct SignedIn {
        let session: ConsoleSessions.Session
        let caller: AdminCaller
        let viewer: ConsoleResponses.Viewer
    }

    /// The request's live session and its caller, or the response to send instead (the sign-in
    /// page, or 403 when the user's console role is gone).
    func resolveSession(_ request: Request) async -> Result<SignedIn, ConsoleRefusal> {
        let now = context.now()
        guard let cookie = cookies.session.value(in: request), var session = sessions.use(cookie, now: now) else {
            return .failure(.signInRequired)
        }
        if session.accessExpiresAt.timeIntervalSince(now) < 30 {
            guard let refreshToken = session.refreshToken,
                  let issuer = try? await context.manager.issuer(id: session.issuerID),
                  let issued = try? await ConsoleTokens(context: context).refresh(refreshToken, issuer: issuer) else {
                sessions.end(cookie)
                return .failure(.signInRequired)
            }
            sessions.update(cookie, accessToken: issued.accessToken, accessExpiresAt: issued.accessExpiresAt, refreshToken: issued.refreshToken)
            session.accessToken = issued.accessToken
            session.accessExpiresAt = issued.accessExpiresAt
            session.refreshToken = issued.refreshToken
        }
        let caller: AdminCaller
        do {
            caller = try await ConsoleCredentials(context: context).caller(session.accessToken)
        } catch let error as OAuthError {
            sessions.end(cookie)
            return .failure(error.status == .forbidden ? .forbidden(error.errorDescription) : .signInRequired)
        } catch {
            return .failure(.unavailable)
        }
        let role: String
        switch caller {
        case .consoleOperator: role = ConsoleResource.operatorRole
        case .tenantAdmin: role = ConsoleResource.tenantAdminRole
        case .adminToken: return .failure(.signInRequired)
        }
        let viewer = ConsoleResponses.Viewer(username: session.username, issuerID: session.issuerID, role: role, csrfToken: session.csrfToken,
                                             isOperator: role == ConsoleResource.operatorRole, links: links)
        return .success(SignedIn(session: session, caller: caller, viewer: viewer))
    }

    /// Why a console request is not served as asked.
    enum ConsoleRefusal: Error {
        case signInRequired
        case forbidden(String)
        case unavailable

        /// The response: the sign-in page with `returnTo` kept, 403, or 503.
        func response(operatorIssuerID: String?, returnTo: String?, cookies: ConsoleCookies) -> Response {
            switch self {
            case .signInRequired:
                var context: [String: Any] = ["operatorIssuerID": operatorIssuerID ?? ""]
                if let returnTo = ConsoleSignIn.consolePath(returnTo), returnTo != "/console" { context["returnTo"] = returnTo }
                return ConsoleResponses.page("signIn", title: "Sign in", context: context, viewer: nil, cookies: [cookies.session.clearing])
            case .forbidden(let why):
                return ConsoleResponses.message("Forbidden", why, status: .forbidden, cookies: [cookies.session.clearing])
            case .unavailable:
                return ConsoleResponses.message("Unavailable", "The store could not be read; try again.", status: .serviceUnavailable)
            }
        }
    }

    private func refused(_ refusal: ConsoleRefusal, returnTo: String?) async -> Response {
        let operatorIssuer = try? await context.manager.issuers().first(where: { $0.kind == .operator })
        return refusal.response(operatorIssuerID: operatorIssuer?.id, returnTo: returnTo, cookies: cookies)
    }

    /// `GET /console`: the issuers the user may see, with their keys at a glance.
    func home(_ signedIn: SignedIn) async throws -> Response {
        let now = context.now()
        let visible = try await context.manager.issuers().filter { signedIn.caller.may(.readIssuer, issuerID: $0.id) }
        let keys = try await context.manager.keys()
        let rows: [[String: Any]] = visible.map { issuer in
            let own = keys.filter { $0.issuerID.isExactly(issuer.id) }
            let view = ConsoleKeyTimeline(issuer: issuer, keys: own, now: now)
            var row: [String: Any] = ["id": issuer.id, "kind": issuer.kind.rawValue, "url": issuer.url, "keySummary": view.summary]
            if let warning = view.warnings.first { row["warning"] = warning }
            return row
        }
        let note = signedIn.caller.may(.operatorOnly, issuerID: nil) ? "As an operator you see every issuer of this Keybound."
                                                                     : "As a tenant admin you see your own issuer only."
        var page: [String: Any] = ["issuers": rows, "scopeNote": note]
        if signedIn.caller.may(.operatorOnly, issuerID: nil) {
            page["canCreateIssuers"] = true
            page["csrfToken"] = signedIn.session.csrfToken
            page["algorithms"] = JWSAlgorithm.allCases.map { ["name": $0.rawValue, "selected": $0 == .es256] }
        }
        return ConsoleResponses.page("home", title: "Issuers", context: page, viewer: signedIn.viewer)
    }

    /// `GET /console/issuers/{issuer}`: one issuer's keys on their lifecycle. A tenant admin gets
    /// 403 for any other issuer, whether it exists or not.
    func issuerPage(_ signedIn: SignedIn, issuerID: String) async throws -> Response {
        let issuer = try await visibleIssuer(signedIn, issuerID: issuerID, .readIssuer)
        let view = ConsoleKeyTimeline(issuer: issuer, keys: try await context.manager.keys(issuerID: issuer.id), now: context.now())
        var page = view.context
        page["jwksURL"] = "/\(issuer.id)/jwks"
        page["csrfToken"] = signedIn.session.csrfToken
        page["canRotate"] = signedIn.caller.may(.rotateKeys, issuerID: issuer.id)
        let canRevoke = signedIn.caller.may(.operatorOnly, issuerID: issuer.id)
        page["keyEventKinds"] = KeyEvent.Kind.allCases.map(\.rawValue).joined(separator: " ")
        page["issuerLinks"] = extensions.flatMap(\.issuerLinks).filter { !$0.operatorsOnly || canRevoke }.map {
            ["title": $0.title, "path": "/console/issuers/\(issuer.id)/\($0.path)"]
        }
        page["keys"] = view.ordered.map { key -> [String: Any] in
            var row = view.row(key)
            if canRevoke, [.pending, .active, .verifyOnly].contains(key.state) { row["revokeURL"] = "/console/issuers/\(issuer.id)/keys/\(key.keyID)/revoke" }
            if key.state != .retired {
                row["keyLinks"] = extensions.flatMap(\.keyLinks).filter { !$0.operatorsOnly || canRevoke }.map {
                    ["title": $0.title, "path": "/console/issuers/\(issuer.id)/keys/\(key.keyID)/\($0.path)"]
                }
            }
            return row
        }
        // An operator or tenant issuer without the console's client: its people cannot sign in to
        // the console yet; an operator may register the client here.
        if ConsoleResource.role(of: issuer) != nil, try await context.store.client(issuerID: issuer.id, clientID: ConsoleResource.clientID) == nil {
            page["consoleClientMissing"] = true
            page["canEnableConsole"] = signedIn.caller.may(.manageDirectory, issuerID: issuer.id)
            page["consoleRedirectURI"] = DevelopmentBootstrap.consoleRedirectURI(context.configuration)
        }
        return ConsoleResponses.page("issuer", title: "Issuer \(issuer.id)", context: page, viewer: signedIn.viewer, live: true)
    }

    /// The issuer `issuerID`, if the user may do `permission` on it; otherwise throws the page to
    /// answer with (``ConsolePageAnswer``, which ``page(_:_:)`` sends): 403 (a tenant admin, for
    /// any other issuer, existing or not), or 404.
    func visibleIssuer(_ signedIn: SignedIn, issuerID: String, _ permission: AdminPermission) async throws -> IssuerRecord {
        guard signedIn.caller.may(permission, issuerID: issuerID) else {
            let why = permission.isOpenToTenantAdmins ? "Your console role is for issuer '\(signedIn.session.issuerID)' only."
                                                      : "Only an operator may do this."
            throw ConsolePageAnswer(ConsoleResponses.message("Forbidden", why, status: .forbidden, viewer: signedIn.viewer))
        }
        guard let issuer = try await context.manager.issuers().first(where: { $0.id.isExactly(issuerID) }) else {
            throw ConsolePageAnswer(ConsoleResponses.message("Not found", "There is no issuer with that id.", status: .notFound, viewer: signedIn.viewer))
        }
        return issuer
    }
}

/// A page sent instead of what was asked (403, 404), thrown to ``ConsoleEndpoints/page(_:_:)``.
struct ConsolePageAnswer: Error, @unchecked Sendable {
    // A Response is not Sendable; this one is made and returned on the same task.
    let response: Response
    init(_ response: Response) { self.response = response }
}
