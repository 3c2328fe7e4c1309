import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@testable import KeyboundServer
@testable import KeyboundStore
import Testing

/// The admin API's roles (granted through `ClientRoles.check`, defined on resources) and the
/// request shapes the OpenAPI document accepts or refuses.
@Suite("Admin API: roles, resources, and request shapes as documented")
struct AdminRolesAndShapesTests {
    static let token = String(repeating: "t", count: 40)

    static func fixture() async throws -> ProviderFixture {
        let fixture = try await ProviderFixture()
        return fixture
    }

    static func app(_ fixture: ProviderFixture) -> some ApplicationProtocol {
        var configuration = fixture.context.configuration
        configuration.adminToken = token
        let context = ProviderContext(manager: fixture.context.manager, store: fixture.context.store, configuration: configuration)
        let router = Router(context: ProviderRequestContext.self)
        router.add(middleware: OAuthErrorMiddleware())
        AdminEndpoints(context: context).register(on: router)
        return Application(router: router)
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ json: String) async throws -> (status: HTTPResponse.Status, body: JSONObject) {
        let response = try await client.execute(uri: uri, method: .post,
                                                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                body: ByteBuffer(string: json))
        return (response.status, (try? StrictJSONParser.parseObject(Array(response.body.readableBytesView))) ?? JSONObject())
    }

    static func auditor(_ id: String, roles: String) -> String {
        #"{"client_id": "\#(id)", "name": "Auditor", "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["client_credentials"], "roles": \#(roles)}"#
    }

    @Test("AuditLog.Read.All: refused until the resource defines it, then granted on a tenant; never to a consumer realm's client")
    func auditRole() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await Self.app(fixture).test(.router) { client in
            let undefined = try await Self.post(client, "/admin/issuers/contoso/clients", Self.auditor("auditor", roles: #"["api://mail/AuditLog.Read.All"]"#))
            #expect(undefined.status == .badRequest)
            #expect(undefined.body["error"] == .string("invalid_settings"))

            let defined = try await Self.post(client, "/admin/issuers/contoso/resources/roles", #"{"audience": "api://mail", "role": "AuditLog.Read.All"}"#)
            #expect(defined.status == .ok)
            #expect(defined.body["roles"] == .array([.string("Mail.Read.All"), .string("AuditLog.Read.All")]))
            let again = try await Self.post(client, "/admin/issuers/contoso/resources/roles", #"{"audience": "api://mail", "role": "AuditLog.Read.All"}"#)
            #expect(again.body["roles"] == defined.body["roles"])
            let unknownResource = try await Self.post(client, "/admin/issuers/contoso/resources/roles", #"{"audience": "api://files", "role": "X"}"#)
            #expect(unknownResource.status == .notFound)

            let created = try await Self.post(client, "/admin/issuers/contoso/clients", Self.auditor("auditor", roles: #"["api://mail/AuditLog.Read.All"]"#))
            #expect(created.status == .created)
            #expect(created.body["roles"] == .array([.string("api://mail/AuditLog.Read.All")]))
            // Granting to an existing client adds to what it holds.
            let granted = try await Self.post(client, "/admin/issuers/contoso/clients/poster/roles", #"{"roles": ["api://mail/AuditLog.Read.All"]}"#)
            #expect(granted.status == .ok)
            #expect(granted.body["roles"] == .array([.string("api://mail/Mail.Read.All"), .string("api://mail/AuditLog.Read.All")]))

            // A consumer realm: the role may be defined on its resource, but no client of it holds any role.
            _ = try await Self.post(client, "/admin/issuers/consumers/resources/roles", #"{"audience": "api://mail", "role": "AuditLog.Read.All"}"#)
            for role in ["api://mail/AuditLog.Read.All", "api://mail/Mail.Read.All"] {
                let refused = try await Self.post(client, "/admin/issuers/consumers/clients", Self.auditor("auditor", roles: #"["\#(role)"]"#))
                #expect(refused.status == .badRequest)
                #expect(refused.body["error"] == .string("invalid_settings"))
                #expect(refused.body["error_description"]?.stringValue?.contains("consumer realm") == true)
                let grant = try await Self.post(client, "/admin/issuers/consumers/clients/web/roles", #"{"roles": ["\#(role)"]}"#)
                #expect(grant.status == .badRequest)
                #expect(grant.body["error_description"]?.stringValue?.contains("consumer realm") == true)
            }
            #expect(try fixture.store.client(issuerID: "consumers", clientID: "auditor") == nil)
            #expect(try fixture.store.client(issuerID: "consumers", clientID: "web")?.roles == [])
        }
    }

    @Test("null is refused for every request member the document does not make nullable")
    func nulls() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await Self.app(fixture).test(.router) { client in
            for (uri, json) in [
                ("/admin/issuers", #"{"id": "fresh", "kind": "consumer", "tenant_id": null}"#),
                ("/admin/issuers", #"{"id": "fresh", "kind": "consumer", "algorithm": null}"#),
                ("/admin/issuers/contoso/clients", #"{"name": "N", "token_endpoint_auth_method": "none", "grant_types": ["refresh_token"], "roles": null}"#),
                ("/admin/issuers/contoso/users", #"{"username": "nully", "password": "a long enough password", "email": null}"#),
                ("/admin/issuers/contoso/keys/rotate", #"{"reason": null}"#),
            ] {
                let response = try await Self.post(client, uri, json)
                #expect(response.status == .badRequest, "\(json)")
                #expect(response.body["error"] == .string("invalid_request"), "\(json)")
            }
            await #expect(try fixture.context.manager.issuers().map(\.id) == ["consumers", "contoso"])
        }
    }

    @Test("requests the document accepts are not refused for their shape")
    func documentedShapes() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        try await Self.app(fixture).test(.router) { client in
            // A 256-character username with no name: the default display name is the username.
            let long = String(repeating: "u", count: 256)
            let user = try await Self.post(client, "/admin/issuers/contoso/users", #"{"username": "\#(long)", "password": "a long enough password"}"#)
            #expect(user.status == .created)
            // Redirect URIs unique by code points (JSON Schema's uniqueItems), though canonically equivalent.
            let uris = #"["https://app.example/caf\u00e9", "https://app.example/cafe\u0301"]"#
            let web = try await Self.post(client, "/admin/issuers/contoso/clients",
                                          #"{"name": "W", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"], "redirect_uris": \#(uris)}"#)
            #expect(web.status == .created, "\(web.body)")
            // Names count code points, as maxLength does: 101 combining sequences are 202 code points
            // (but only 101 characters, which the server used to count).
            let composed = String(repeating: "e\u{301}", count: 101)
            let named = try await Self.post(client, "/admin/issuers/contoso/clients",
                                            #"{"name": "\#(composed)", "token_endpoint_auth_method": "none", "grant_types": ["refresh_token"]}"#)
            #expect(named.status == .badRequest, "200 code points over the limit")
            // A rotation period of one day with the default lead time (half the period).
            let daily = try await Self.post(client, "/admin/issuers", #"{"id": "daily", "kind": "consumer", "rotation_period": "1d"}"#)
            #expect(daily.status == .created, "\(daily.body)")
            #expect(daily.body["publish_lead_time"] == .string("12h"))
            // Durations outside the documented patterns are refused as malformed.
            for (name, value) in [("rotation_period", "31d"), ("rotation_period", "01d"), ("publish_lead_time", "1d"),
                                  ("maximum_token_lifetime", "90s"), ("maximum_key_age", "29d"), ("rotation_period", "1.5d")] {
                let response = try await Self.post(client, "/admin/issuers", #"{"id": "d-\#(name.count)", "kind": "consumer", "\#(name)": "\#(value)"}"#)
                #expect(response.status == .badRequest, "\(name)=\(value)")
                #expect(response.body["error"] == .string("invalid_request"), "\(name)=\(value)")
            }
        }
    }
}
