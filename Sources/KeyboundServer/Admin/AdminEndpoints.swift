import Foundation
import Hummingbird
import Keybound
import KeyboundStore
import Logging

/// The admin API: JSON over HTTP under `/admin/`, for issuers, their keys, clients, resources and users, and
/// the key event log. Every route needs `Authorization: Bearer <admin token>`; with no token
/// configured the whole API is disabled and answers 404 (there is never a default token).
/// See `docs/admin-api.md`.
struct AdminEndpoints: Sendable {
    let context: ProviderContext
    /// Routes other modules add (the hunt, from `KeyboundApp`), served like these.
    var extensions: [AdminExtensionRoute] = []

    /// Recorded as the actor of every key change made through the API.
    static let actor = "admin-api"

    /// Why a disabled admin API answers 404, and how to enable it.
    static let disabledMessage = "the admin API is disabled: set an admin token of at least 32 characters with "
        + "KEYBOUND_ADMIN_TOKEN or KEYBOUND_ADMIN_TOKEN_FILE (admin.token or admin.token_file in the config file) to enable it"

    func register(on router: Router<ProviderRequestContext>) {
        // Every route, the catch-all included, is in one group behind one authentication middleware.
        let router = router.group("admin").add(middleware: AdminAuthentication(token: context.configuration.adminToken, context: context))
        let issuers = AdminIssuers(context: context)
        let clients = AdminClients(context: context)
        let users = AdminUsers(context: context)

        route(router, .get, "issuers", .operatorOnly) { _, _ in try await issuers.list() }
        route(router, .post, "issuers", .operatorOnly, logAs: "issuer.create") { request, route in try await issuers.create(request, route: route) }
        route(router, .get, "issuers/:issuer", .readIssuer) { _, route in try await issuers.show(try route.issuer()) }
        route(router, .get, "issuers/:issuer/keys", .readIssuer) { _, route in try await issuers.keys(try route.issuer()) }
        route(router, .post, "issuers/:issuer/keys/rotate", .rotateKeys, logAs: "key.rotate") { request, route in
            try await issuers.rotate(request, issuerID: try route.issuer(), route: route)
        }
        route(router, .post, "issuers/:issuer/keys/:kid/revoke", .operatorOnly, logAs: "key.revoke") { request, route in
            try await issuers.revoke(request, issuerID: try route.issuer(), keyID: try route.decoded("kid"), route: route)
        }

        route(router, .get, "issuers/:issuer/clients", .readIssuer) { _, route in try await clients.list(issuerID: try route.issuer()) }
        route(router, .post, "issuers/:issuer/clients", .manageDirectory, logAs: "client.create") { request, route in
            try await clients.create(request, issuerID: try route.issuer(), route: route)
        }
        route(router, .get, "issuers/:issuer/clients/:client", .readIssuer) { _, route in
            try await clients.show(issuerID: try route.issuer(), clientID: try route.decoded("client"))
        }
        route(router, .post, "issuers/:issuer/clients/:client/secret", .manageDirectory, logAs: "client.secret.rotate") { request, route in
            try await clients.rotateSecret(request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        }
        route(router, .post, "issuers/:issuer/clients/:client/disable", .manageDirectory, logAs: "client.disable") { request, route in
            try await clients.setDisabled(true, request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        }
        route(router, .post, "issuers/:issuer/clients/:client/enable", .manageDirectory, logAs: "client.enable") { request, route in
            try await clients.setDisabled(false, request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        }
        route(router, .post, "issuers/:issuer/clients/:client/roles", .manageDirectory, logAs: "client.roles.grant") { request, route in
            try await clients.grantRoles(request, issuerID: try route.issuer(), clientID: try route.decoded("client"), route: route)
        }

        let resources = AdminResources(context: context)
        route(router, .get, "issuers/:issuer/resources", .readIssuer) { _, route in try await resources.list(issuerID: try route.issuer()) }
        route(router, .post, "issuers/:issuer/resources/roles", .operatorOnly, logAs: "resource.role.add") { request, route in
            try await resources.addRole(request, issuerID: try route.issuer(), route: route)
        }

        route(router, .post, "issuers/:issuer/resources", .operatorOnly, logAs: "resource.register") { request, route in
            try await resources.upsert(request, issuerID: try route.issuer(), route: route)
        }
        route(router, .get, "issuers/:issuer/resources/:audience", .readIssuer) { _, route in
            try await resources.show(issuerID: try route.issuer(), audience: try route.decoded("audience"))
        }
        route(router, .post, "issuers/:issuer/resources/:audience/server-clients", .manageDirectory, logAs: "resource.server-clients.set") { request, route in
            try await resources.setServerClients(request, issuerID: try route.issuer(), audience: try route.decoded("audience"), route: route)
        }

        route(router, .get, "issuers/:issuer/users", .readIssuer) { _, route in try await users.list(issuerID: try route.issuer()) }
        route(router, .post, "issuers/:issuer/users", .manageDirectory, logAs: "user.create") { request, route in
            try await users.create(request, issuerID: try route.issuer(), route: route)
        }
        route(router, .get, "issuers/:issuer/users/:username", .readIssuer) { _, route in
            try await users.show(issuerID: try route.issuer(), username: try route.decoded("username"))
        }
        route(router, .post, "issuers/:issuer/users/:username/roles", .manageDirectory, logAs: "user.roles.set") { request, route in
            try await users.setRoles(request, issuerID: try route.issuer(), username: try route.decoded("username"), route: route)
        }
        route(router, .post, "issuers/:issuer/users/:username/disable", .manageDirectory, logAs: "user.disable") { request, route in
            try await users.setDisabled(true, request, issuerID: try route.issuer(), username: try route.decoded("username"), route: route)
        }
        route(router, .post, "issuers/:issuer/users/:username/enable", .manageDirectory, logAs: "user.enable") { request, route in
            try await users.setDisabled(false, request, issuerID: try route.issuer(), username: try route.decoded("username"), route: route)
        }

        let adminLog = AdminLogRoutes(context: context)
        route(router, .get, "admin-log", .operatorOnly) { request, _ in try await adminLog.all(request) }
        route(router, .get, "issuers/:issuer/admin-log", .readIssuer) { request, route in try await adminLog.issuer(try route.issuer(), request) }
        route(router, .get, "events", .operatorOnly) { request, _ in try await issuers.events(request) }
        for extensionRoute in extensions {
            route(router, extensionRoute.method, extensionRoute.path, .operatorOnly, logAs: extensionRoute.logAs, extensionRoute.handler)
        }
        let alerts = AdminAlerts(context: context)
        route(router, .get, "alerts", .operatorOnly) { request, _ in try await alerts.list(request) }
        route(router, .get, "alerts/stream", .operatorOnly) { request, _ in try await alerts.stream(request) }

        // Anything else under /admin: the same disabled / unauthorized answers first, then 404.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            route(router, method, "**", .anyone) { request, _ in
                throw OAuthError.notFound("no admin route \(request.method.rawValue) \(request.uri.path)")
            }
        }
        route(router, .get, "", .anyone) { _, _ in throw OAuthError.notFound("the admin API's routes are under /admin/issuers and /admin/events") }
    }

    /// Registers `handler` at `path` under `/admin/` (behind the group's ``AdminAuthentication``),
    /// open to the callers `permission` admits on the issuer in the path, with the store error mapping.
    /// With `logAs` (a state-changing route), every attempt an authenticated caller makes, allowed
    /// or not, is recorded in the admin log under that action name (``AdminLogRecorder``).
    private func route(_ router: RouterGroup<ProviderRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath,
                       _ permission: AdminPermission, logAs action: String? = nil,
                       _ handler: @escaping @Sendable (Request, AdminRoute) async throws -> Response) {
        let context = self.context
        router.on(path, method: method) { request, routeContext -> Response in
            guard let caller = routeContext.adminCaller else { throw OAuthError.serverError("the admin route has no authenticated caller") }
            return try await Self.perform(request, context: context, caller: caller, parameters: routeContext.parameters,
                                          logger: routeContext.logger, permission: permission, logAs: action, handler)
        }
    }

    /// Runs `handler` for `caller`, if `permission` admits the caller on the issuer in
    /// `parameters`, with the store error mapping; with `logAs`, records the attempt in the admin
    /// log (``AdminLogRecorder``), allowed or refused. The admin routes and the console's forms
    /// both act through it, so a change made in the console is checked and recorded exactly as the
    /// same change made through the API.
    static func perform(_ request: Request, context: ProviderContext, caller: AdminCaller, parameters: Parameters, logger: Logger,
                        permission: AdminPermission, logAs action: String?,
                        _ handler: @Sendable (Request, AdminRoute) async throws -> Response) async throws -> Response {
        let route = AdminRoute(parameters: parameters, logger: logger, caller: caller)
        let issuerID = route.parameter("issuer")
        let recorder = action.map { AdminLogRecorder(context: context, route: route, action: $0, issuerID: issuerID) }
        guard caller.may(permission, issuerID: issuerID) else {
            let refusal = OAuthError.bearer(.forbidden, "insufficient_scope", issuerID.map { "a tenant admin may do this only on its own issuer, not on '\($0)'" }
                ?? "only an operator may do this")
            await recorder?.record(refusal)
            throw refusal
        }
        do {
            let response = try await handler(request, route)
            await recorder?.record(response)
            return response
        } catch let error as StoreError {
            let answer = Self.map(error, logger: logger)
            await recorder?.record(answer)
            throw answer
        } catch {
            await recorder?.record(error)
            throw error
        }
    }

    /// How the admin API answers a store error (``answer(for:)``).
    enum StoreErrorAnswer: Equatable {
        /// 404 `not_found`: the issuer, key, client, user or resource does not exist.
        case notFound
        /// 409 `conflict`: one with that id or name exists.
        case conflict
        /// 400 `invalid_settings`: the request matched the document; the store refused its values.
        case invalidSettings
        /// 503 `temporarily_unavailable`: the database cannot be used right now.
        case unavailable
        /// 500 `server_error`, with no detail (logged): nothing the caller could have done.
        case serverError
    }

    /// The admin API's table of store errors, exhaustive: a new code does not compile until it has
    /// its answer here (docs/admin-api.md).
    static func answer(for code: StoreError.Code) -> StoreErrorAnswer {
        switch code {
        case .issuerNotFound, .keyNotFound, .clientNotFound, .userNotFound, .resourceNotFound: .notFound
        case .issuerExists, .clientExists, .userExists: .conflict
        case .invalidIssuer, .invalidClient, .invalidUser, .invalidResource: .invalidSettings
        case .storage, .custodyUnavailable: .unavailable
        case .wrongKEK, .missingKEK, .invalidKEK, .invariantViolated, .duplicateToken, .chainRevoked, .directoryChanged, .noActiveKey:
            .serverError
        }
    }

    /// A store error as the admin API answers it (``answer(for:)``).
    static func map(_ error: StoreError, logger: Logger) -> OAuthError {
        switch answer(for: error.code) {
        case .notFound:
            return OAuthError(status: .notFound, error: "not_found", description: error.message)
        case .conflict:
            return OAuthError.conflict(error.message)
        case .invalidSettings:
            return OAuthError.invalidSettings(error.message)
        case .unavailable:
            LogThrottle.storeUnavailable.error(logger, "admin API: store unavailable", metadata: ["error": "\(error.message)"])
            return OAuthError.storeUnavailable()
        case .serverError:
            logger.error("admin API: store error", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            return OAuthError.serverError("the store failed")
        }
    }
}

/// An admin route another module adds (the extension point of the admin API): for operators only,
/// served behind the same authentication and store error mapping as every admin route, before the
/// catch-all 404.
package struct AdminExtensionRoute: Sendable {
    /// The method.
    package let method: HTTPRequest.Method
    /// The path under `/admin/` (`hunt` is `/admin/hunt`).
    package let path: RouterPath
    /// The admin log's action for a route that changes state (every attempt is recorded, allowed
    /// or refused); `nil` for a read.
    package let logAs: String?
    /// The handler, called once the caller is authenticated and allowed.
    package let handler: @Sendable (Request, AdminRoute) async throws -> Response

    package init(_ method: HTTPRequest.Method, _ path: RouterPath, logAs: String? = nil,
                 handler: @escaping @Sendable (Request, AdminRoute) async throws -> Response) {
        self.method = method
        self.path = path
        self.logAs = logAs
        self.handler = handler
    }
}

/// What a handler gets from its route: the path parameters, decoded, and the request's logger.
package struct AdminRoute: Sendable {
    let parameters: Parameters
    package let logger: Logger
    /// Who is calling, as ``AdminAuthentication`` found.
    package let caller: AdminCaller
    /// What the handler tells the admin log besides the route (the reason given).
    package let note = AdminActionNote()

    /// A path parameter, percent-decoded.
    package func decoded(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw OAuthError.invalidRequest("the '\(name)' path segment is not valid percent-encoded UTF-8")
        }
        return value
    }

    /// The issuer id in the path.
    package func issuer() throws -> String { try decoded("issuer") }

    /// The path parameter `name` if the route has one: percent-decoded, or as sent when it does not
    /// decode (the handler's ``decoded(_:)`` refuses that with 400). For the permission check and
    /// the admin log, which must not fail before the handler answers.
    func parameter(_ name: String) -> String? {
        parameters.get(name).map { $0.removingPercentEncoding ?? $0 }
    }

    /// Records an admin change in the log (never a secret).
    package func audit(_ message: String, _ metadata: Logger.Metadata = [:]) {
        var metadata = metadata
        metadata["actor"] = "\(caller.actor)"
        logger.notice("admin: \(message)", metadata: metadata)
    }
}

/// Admin API responses: JSON, never cached.
package enum AdminResponse {
    package static func make(_ object: JSONObject, status: HTTPResponse.Status = .ok, location: String? = nil) -> Response {
        var headers: HTTPFields = [.cacheControl: "no-store", .pragma: "no-cache"]
        if let location { headers[.location] = location }
        return JSONResponse.make(object, status: status, headers: headers)
    }

    /// A path segment, percent-encoded for a `Location` header.
    static func segment(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
