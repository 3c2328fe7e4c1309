import Foundation
import Hummingbird
import Keybound
import KeyboundStore

/// Admin routes for issuers, their keys and the key event log.
struct AdminIssuers: Sendable {
    let context: ProviderContext

    /// Issuer ids the admin API refuses because the server's own top-level routes use them.
    static var reservedIDs: Set<String> { IssuerRecord.reservedIDs }
    /// The longest duration accepted for a lifecycle setting (ten years).
    static let maximumDuration: TimeInterval = 3_650 * 86_400

    // MARK: Issuers

    /// `GET /admin/issuers`
    func list() throws -> Response {
        let issuers = try context.manager.issuers()
        return AdminResponse.make(JSONObject(["issuers": .array(try issuers.map { .object(try render($0)) })]))
    }

    /// `GET /admin/issuers/{id}`
    func show(_ id: String) throws -> Response {
        AdminResponse.make(try render(try context.manager.issuer(id: id)))
    }

    /// `POST /admin/issuers`
    func create(_ request: Request, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: [
            "id", "kind", "tenant_id", "algorithm", "rotation_period", "publish_lead_time", "maximum_token_lifetime", "maximum_key_age",
        ])
        let id = try body.requiredString("id")
        guard !Self.reservedIDs.contains(id) else {
            throw OAuthError.invalidRequest("the issuer id '\(id)' is reserved for the server's own routes")
        }
        let kindText = try body.requiredString("kind")
        guard let kind = IssuerRecord.Kind(rawValue: kindText) else {
            throw OAuthError.invalidRequest("'kind' must be 'consumer' or 'tenant', not '\(AdminBody.shown(kindText))'")
        }
        let tenantID = try body.string("tenant_id")
        if let tenantID { try AdminBody.checkLine(tenantID, "tenant_id", limit: 128) }
        if kind == .tenant, tenantID == nil { throw OAuthError.invalidRequest("a tenant issuer needs 'tenant_id'") }
        if kind == .consumer, tenantID != nil { throw OAuthError.invalidRequest("a consumer issuer has no 'tenant_id'") }
        var algorithm = JWSAlgorithm.es256
        if let name = try body.string("algorithm") {
            guard let parsed = JWSAlgorithm(headerValue: name) else {
                let names = JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw OAuthError.invalidRequest("'algorithm' must be one of \(names), not '\(AdminBody.shown(name))'")
            }
            algorithm = parsed
        }
        func duration(_ name: String, _ fallback: TimeInterval) throws -> TimeInterval {
            guard let text = try body.string(name) else { return fallback }
            guard let value = DurationText.parse(text), value.isFinite, value <= Self.maximumDuration else {
                throw OAuthError.invalidRequest("'\(name)' must be a positive duration such as 30d, 24h, 15m or 90s (at most 3650d), not '\(AdminBody.shown(text))'")
            }
            return value
        }
        let rotationPeriod = try duration("rotation_period", IssuerRecord.defaultRotationPeriod)
        let publishLeadTime = try duration("publish_lead_time", IssuerRecord.defaultPublishLeadTime)
        let maximumTokenLifetime = try duration("maximum_token_lifetime", IssuerRecord.defaultMaximumTokenLifetime)
        let maximumKeyAge = try duration("maximum_key_age", IssuerRecord.defaultMaximumKeyAge)
        let issuer = IssuerRecord(
            id: id, url: context.configuration.issuerURL(id), kind: kind, tenantID: tenantID, algorithm: algorithm,
            rotationPeriod: rotationPeriod, publishLeadTime: publishLeadTime, maximumTokenLifetime: maximumTokenLifetime,
            maximumKeyAge: maximumKeyAge, createdAt: context.now())
        let transitions = try context.manager.createIssuer(issuer, actor: AdminEndpoints.actor)
        try context.store.upsert(ResourceRecord(issuerID: issuer.id, audience: DevelopmentBootstrap.mailAudience,
                                                scopes: ["Mail.Read", "Mail.Send"], roles: ["Mail.Read.All"]))
        context.keys.invalidate()
        context.directory.invalidate()
        route.audit("issuer created", ["issuer": "\(issuer.id)", "url": "\(issuer.url)"])
        var object = try render(issuer)
        object["transitions"] = .array(transitions.map { StoreJSON.json($0) })
        return AdminResponse.make(object, status: .created, location: "/admin/issuers/\(AdminResponse.segment(issuer.id))")
    }

    /// An issuer with its active key id and its resources.
    func render(_ issuer: IssuerRecord) throws -> JSONObject {
        var object = StoreJSON.json(issuer)
        let keys = try context.manager.keys(issuerID: issuer.id)
        object["active_kid"] = keys.first(where: { $0.state == .active }).map { JSONValue.string($0.keyID) } ?? JSONValue.null
        object["resources"] = .array(try context.store.resources(issuerID: issuer.id).map { resource in
            var rendered = AdminResources.render(resource)
            rendered["issuer"] = nil
            return .object(rendered)
        })
        return object
    }

    // MARK: Keys

    /// `GET /admin/issuers/{id}/keys`
    func keys(_ issuerID: String) throws -> Response {
        AdminResponse.make(try renderKeys(issuerID))
    }

    /// `POST /admin/issuers/{id}/keys/rotate`
    func rotate(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["reason"])
        let reason = try body.string("reason")
        if let reason { try AdminBody.checkLine(reason, "reason", limit: 500) }
        let transitions = try context.manager.rotate(issuerID: issuerID, now: context.now(), actor: AdminEndpoints.actor)
        context.keys.invalidate()
        route.audit("rotation requested", ["issuer": "\(issuerID)", "reason": "\(reason ?? "")"])
        var object = try renderKeys(issuerID)
        object["transitions"] = .array(transitions.map { StoreJSON.json($0) })
        if let reason { object["reason"] = .string(reason) }
        return AdminResponse.make(object)
    }

    /// `POST /admin/issuers/{id}/keys/{kid}/revoke`
    func revoke(_ request: Request, issuerID: String, keyID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["reason"])
        let reason = try body.requiredString("reason")
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw OAuthError.invalidRequest("the member 'reason' must not be blank")
        }
        try AdminBody.checkLine(reason, "reason", limit: 500)
        let now = context.now()
        let key = try context.manager.revoke(issuerID: issuerID, keyID: keyID, reason: reason, actor: AdminEndpoints.actor, now: now)
        context.keys.invalidate()
        route.audit("key revoked", ["issuer": "\(issuerID)", "kid": "\(keyID)", "reason": "\(reason)"])
        return AdminResponse.make(StoreJSON.json(key, now: now))
    }

    func renderKeys(_ issuerID: String) throws -> JSONObject {
        let now = context.now()
        let keys = try context.manager.keys(issuerID: issuerID)
        return JSONObject(["issuer": .string(issuerID), "keys": .array(keys.map { .object(StoreJSON.json($0, now: now)) })])
    }

    // MARK: Events

    /// `GET /admin/events?after=N&limit=M`
    func events(_ request: Request) throws -> Response {
        let query = try FormBody.query(request)
        for name in query.values.keys where !["after", "limit"].contains(name) {
            throw OAuthError.invalidRequest("unknown query parameter '\(AdminBody.shown(name))'; known: after, limit")
        }
        var after: Int64 = 0
        if let text = query["after"] {
            guard let value = Int64(text), value >= 0 else { throw OAuthError.invalidRequest("'after' must be a sequence number ≥ 0") }
            after = value
        }
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(text), (1...1_000).contains(value) else { throw OAuthError.invalidRequest("'limit' must be between 1 and 1000") }
            limit = value
        }
        let events = try context.manager.events(after: after, limit: limit)
        return AdminResponse.make(JSONObject([
            "events": .array(events.map { .object(StoreJSON.json($0)) }),
            "next_after": .number(Double(events.last?.sequence ?? after)),
        ]))
    }
}
