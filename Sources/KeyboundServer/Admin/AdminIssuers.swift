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
    func list() async throws -> Response {
        let issuers = try await context.manager.issuers()
        var rendered: [JSONValue] = []
        for issuer in issuers { rendered.append(.object(try await render(issuer))) }
        return AdminResponse.make(JSONObject(["issuers": .array(rendered)]))
    }

    /// `GET /admin/issuers/{id}`
    func show(_ id: String) async throws -> Response {
        AdminResponse.make(try await render(try await context.manager.issuer(id: id)))
    }

    /// `POST /admin/issuers`
    func create(_ request: Request, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: [
            "id", "kind", "tenant_id", "algorithm", "rotation_period", "publish_lead_time", "maximum_token_lifetime", "maximum_key_age",
            "custody",
        ])
        let id = try body.requiredString("id")
        try AdminBody.checkASCII(id, "id", limit: 64, allowed: { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D },
                                 shape: "1-64 characters of a-z, 0-9 and '-'")
        guard !Self.reservedIDs.containsExactly(id) else {
            throw OAuthError.invalidRequest("the issuer id '\(id)' is reserved for the server's own routes")
        }
        let kindText = try body.requiredString("kind")
        guard let kind = IssuerRecord.Kind.allCases.first(where: { $0.rawValue.isExactly(kindText) }), kind != .operator else {
            throw OAuthError.invalidRequest(kindText.isExactly(IssuerRecord.Kind.operator.rawValue)
                ? "the operator issuer is made once per store, with 'keybound issuer create --kind operator', not through the API"
                : "'kind' must be 'consumer' or 'tenant', not '\(AdminBody.shown(kindText))'")
        }
        let tenantID = try body.string("tenant_id")
        switch (kind, tenantID) {
        case (.tenant, nil): throw OAuthError.invalidRequest("a tenant issuer needs 'tenant_id'")
        case (.consumer, _?): throw OAuthError.invalidRequest("a consumer realm's 'tenant_id' is generated when it is created, not given")
        case (.tenant, let tenantID?):
            try AdminBody.checkASCII(tenantID, "tenant_id", limit: 128, allowed: { byte in
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }, shape: "1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
        case (.consumer, nil), (.operator, _): break
        }
        var algorithm = JWSAlgorithm.es256
        if let name = try body.string("algorithm") {
            guard let parsed = JWSAlgorithm(headerValue: name) else {
                let names = JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw OAuthError.invalidRequest("'algorithm' must be one of \(names), not '\(AdminBody.shown(name))'")
            }
            algorithm = parsed
        }
        // The ranges of docs/admin-api.openapi.yaml, chosen so that any combination holds together
        // (lead time and token lifetime < 1 day <= rotation period <= 30 days <= key age).
        let rotationPeriod = try Self.duration(body, "rotation_period", [(UInt8(ascii: "d"), 1...30)]) ?? IssuerRecord.defaultRotationPeriod
        let publishLeadTime = try Self.duration(body, "publish_lead_time", [(UInt8(ascii: "h"), 1...23)])
            ?? min(IssuerRecord.defaultPublishLeadTime, rotationPeriod / 2)
        let maximumTokenLifetime = try Self.duration(body, "maximum_token_lifetime", [(UInt8(ascii: "m"), 1...59), (UInt8(ascii: "h"), 1...23)])
            ?? IssuerRecord.defaultMaximumTokenLifetime
        let maximumKeyAge = try Self.duration(body, "maximum_key_age", [(UInt8(ascii: "d"), 30...3_650)]) ?? IssuerRecord.defaultMaximumKeyAge
        var custody = KeyCustody.software
        if let name = try body.string("custody") {
            guard let parsed = KeyCustody.allCases.first(where: { $0.rawValue.isExactly(name) }) else {
                throw OAuthError.invalidRequest("'custody' must be 'software' or 'pkcs11', not '\(AdminBody.shown(name))'")
            }
            custody = parsed
        }
        if custody == .pkcs11, context.manager.custodian == nil {
            throw OAuthError.invalidSettings("this server has no PKCS#11 token (KEYBOUND_PKCS11_MODULE): it cannot create an issuer in pkcs11 custody")
        }
        let issuer = IssuerRecord(
            id: id, url: context.configuration.issuerURL(id), kind: kind, tenantID: tenantID, algorithm: algorithm,
            rotationPeriod: rotationPeriod, publishLeadTime: publishLeadTime, maximumTokenLifetime: maximumTokenLifetime,
            maximumKeyAge: maximumKeyAge, createdAt: context.now(), custody: custody)
        let transitions = try await context.manager.createIssuer(issuer, actor: route.caller.actor)
        let created = try await context.manager.issuer(id: issuer.id)
        try await context.store.upsert(DevelopmentBootstrap.mailResource(for: created))
        context.keys.invalidate()
        context.directory.invalidate()
        route.audit("issuer created", ["issuer": "\(issuer.id)", "url": "\(issuer.url)"])
        var object = try await render(created)
        object["transitions"] = .array(transitions.map { StoreJSON.json($0) })
        return AdminResponse.make(object, status: .created, location: "/admin/issuers/\(AdminResponse.segment(issuer.id))")
    }

    /// A duration member in one of `units`, written `<n><unit>` with no leading zero (`7d`, `12h`),
    /// `n` within the unit's range; `nil` when absent.
    static func duration(_ body: AdminBody, _ name: String, _ units: [(unit: UInt8, range: ClosedRange<Int>)]) throws(OAuthError) -> TimeInterval? {
        guard let text = try body.string(name) else { return nil }
        let bytes = Array(text.utf8)
        let shape = units.map { "\($0.range.lowerBound)\(Character(Unicode.Scalar($0.unit)))–\($0.range.upperBound)\(Character(Unicode.Scalar($0.unit)))" }
            .joined(separator: " or ")
        let refused = OAuthError.invalidRequest("'\(name)' must be \(shape), not '\(AdminBody.shown(text))'")
        guard let unitByte = bytes.last, bytes.count >= 2, bytes.count <= 6, bytes[0] != UInt8(ascii: "0"),
              bytes.dropLast().allSatisfy({ (0x30...0x39).contains($0) }),
              let number = Int(String(decoding: bytes.dropLast(), as: UTF8.self)),
              let unit = units.first(where: { $0.unit == unitByte }), unit.range.contains(number) else { throw refused }
        let seconds: [UInt8: TimeInterval] = [UInt8(ascii: "d"): 86_400, UInt8(ascii: "h"): 3_600, UInt8(ascii: "m"): 60]
        return TimeInterval(number) * (seconds[unitByte] ?? 1)
    }

    /// An issuer with its active key ids (access tokens: `active_kid`; ID tokens: `active_id_token_kid`) and its resources.
    func render(_ issuer: IssuerRecord) async throws -> JSONObject {
        var object = StoreJSON.json(issuer)
        let keys = try await context.manager.keys(issuerID: issuer.id)
        object["active_kid"] = keys.first(where: { $0.state == .active && $0.purpose == .accessToken }).map { JSONValue.string($0.keyID) } ?? JSONValue.null
        object["active_id_token_kid"] = keys.first(where: { $0.state == .active && $0.purpose == .idToken }).map { JSONValue.string($0.keyID) } ?? JSONValue.null
        object["resources"] = .array(try await context.store.resources(issuerID: issuer.id).map { resource in
            var rendered = AdminResources.render(resource)
            rendered["issuer"] = nil
            return .object(rendered)
        })
        return object
    }

    // MARK: Keys

    /// `GET /admin/issuers/{id}/keys`
    func keys(_ issuerID: String) async throws -> Response {
        AdminResponse.make(try await renderKeys(issuerID))
    }

    /// `POST /admin/issuers/{id}/keys/rotate`
    func rotate(_ request: Request, issuerID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["reason"])
        let reason = try body.string("reason")
        if let reason { try AdminBody.checkLine(reason, "reason", limit: 500) }
        route.note.reason = reason ?? ""
        let transitions = try await context.manager.rotate(issuerID: issuerID, now: context.now(), actor: route.caller.actor)
        context.keys.invalidate()
        route.audit("rotation requested", ["issuer": "\(issuerID)", "reason": "\(reason ?? "")"])
        var object = try await renderKeys(issuerID)
        object["transitions"] = .array(transitions.map { StoreJSON.json($0) })
        if let reason { object["reason"] = .string(reason) }
        return AdminResponse.make(object)
    }

    /// `POST /admin/issuers/{id}/keys/{kid}/revoke`
    func revoke(_ request: Request, issuerID: String, keyID: String, route: AdminRoute) async throws -> Response {
        let body = try await AdminBody.read(request, allowed: ["reason"])
        let reason = try body.revocationReason(noting: route.note)
        let now = context.now()
        let key = try await context.manager.revoke(issuerID: issuerID, keyID: keyID, reason: reason, actor: route.caller.actor, now: now)
        context.keys.invalidate()
        route.audit("key revoked", ["issuer": "\(issuerID)", "kid": "\(keyID)", "reason": "\(reason)"])
        return AdminResponse.make(StoreJSON.json(key, now: now))
    }

    func renderKeys(_ issuerID: String) async throws -> JSONObject {
        let now = context.now()
        let keys = try await context.manager.keys(issuerID: issuerID)
        return JSONObject(["issuer": .string(issuerID), "keys": .array(keys.map { .object(StoreJSON.json($0, now: now)) })])
    }

    // MARK: Events

    /// `GET /admin/events?after=N&limit=M`
    func events(_ request: Request) async throws -> Response {
        let (after, limit) = try AdminBody.page(request)
        let events = try await context.manager.events(after: after, limit: limit)
        return AdminResponse.make(JSONObject([
            "events": .array(events.map { .object(StoreJSON.json($0)) }),
            "next_after": .number(Double(events.last?.sequence ?? after)),
        ]))
    }
}
