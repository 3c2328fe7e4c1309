import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Keybound
@_spi(Plumbing) @testable import KeyboundServer
@testable import KeyboundStore
import Synchronization
import Testing

/// A provider with the admin API (and, for end-to-end checks, the issuer and OAuth endpoints) over
/// a fresh data directory with two issuers, `consumers` and `contoso`.
private struct AdminFixture {
    static let token = String(repeating: "a", count: 40)
    static let publicURL = "https://id.keybound.test"

    let directory: URL
    let context: ProviderContext
    let store: SQLiteProviderStore

    init(adminToken: String? = AdminFixture.token, custodian: (any KeyGeneratingCustodian)? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-admin-\(UUID().uuidString)")
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate(), custodian: custodian)
        let configuration = ServerConfiguration(publicURL: Self.publicURL, adminToken: adminToken, passwordHashCost: 4)
        store = try SQLiteProviderStore(directory: directory)
        context = ProviderContext(manager: manager, store: store, configuration: configuration)
        let now = Date().addingTimeInterval(-60)
        try await manager.createIssuer(IssuerRecord(id: "consumers", url: configuration.issuerURL("consumers"), kind: .consumer, createdAt: now))
        try await manager.createIssuer(IssuerRecord(id: "contoso", url: configuration.issuerURL("contoso"), kind: .tenant,
                                              tenantID: "tenant-1", createdAt: now))
        for id in ["consumers", "contoso"] {
            try store.upsert(ResourceRecord(issuerID: id, audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                                    roles: ["Mail.Read.All"]))
        }
    }

    /// The admin API alone, or with the issuer and OAuth endpoints too.
    func app(withProvider: Bool = false) -> some ApplicationProtocol {
        let router = Router(context: ProviderRequestContext.self)
        router.add(middleware: OAuthErrorMiddleware())
        AdminEndpoints(context: context).register(on: router)
        if withProvider { KeyboundApplication.registerIssuerRoutes(on: router, context: context) }
        return Application(router: router)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// One admin request: JSON body (when given), the admin token by default.
private func admin(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: String? = nil,
                   token: String? = AdminFixture.token, contentType: String? = "application/json",
                   extraHeaders: HTTPFields = [:]) async throws -> TestResponse {
    var headers = extraHeaders
    if let token { headers[.authorization] = "Bearer \(token)" }
    if json != nil, let contentType { headers[.contentType] = contentType }
    return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
}

private func body(_ response: TestResponse) throws -> JSONObject {
    try StrictJSONParser.parseObject(Array(response.body.readableBytesView))
}

private func text(_ response: TestResponse) -> String { String(buffer: response.body) }

private func basic(_ id: String, _ secret: String) -> String {
    "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
}

private func clientCredentials(_ client: some TestClientProtocol, issuer: String, id: String, secret: String) async throws -> TestResponse {
    try await client.execute(uri: "/\(issuer)/token", method: .post,
                             headers: [.contentType: "application/x-www-form-urlencoded", .authorization: basic(id, secret)],
                             body: ByteBuffer(string: "grant_type=client_credentials&scope=api%3A%2F%2Fmail%2F.default"))
}

private let daemonJSON = """
    {"client_id": "reporter", "name": "Reporter", "token_endpoint_auth_method": "client_secret_basic",
     "grant_types": ["client_credentials"], "roles": ["api://mail/Mail.Read.All"]}
    """

@Suite("Admin API")
struct AdminAPITests {
    @Test("with no admin token the API is disabled: every /admin route is 404 and says how to enable it")
    func disabled() async throws {
        let fixture = try await AdminFixture(adminToken: nil)
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/admin/issuers"), (.get, "/admin/issuers/consumers/clients"),
                                  (.post, "/admin/issuers/consumers/keys/rotate"), (.get, "/admin/events"), (.get, "/admin/nothing/here")] {
                let response = try await admin(client, method, uri, token: "anything-at-all-0123456789-0123456789")
                #expect(response.status == .notFound, "\(method) \(uri)")
                let object = try body(response)
                #expect(object["error"] == .string("not_found"))
                #expect(object["error_description"]?.stringValue?.contains("KEYBOUND_ADMIN_TOKEN") == true)
                #expect(object["error_description"]?.stringValue?.contains("admin.token") == true)
            }
            let create = try await admin(client, .post, "/admin/issuers", json: #"{"id": "fabrikam", "kind": "consumer"}"#, token: nil)
            #expect(create.status == .notFound)
        }
        await #expect(try fixture.context.manager.issuers().map(\.id) == ["consumers", "contoso"])
    }

    @Test("an empty admin token (only possible in code) disables the API too; 'Bearer ' never authenticates")
    func emptyToken() async throws {
        let fixture = try await AdminFixture(adminToken: "")
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(uri: "/admin/issuers", method: .get, headers: [.authorization: "Bearer "])
            #expect(response.status == .notFound)
            #expect(!text(response).contains("consumers"))
        }
    }

    @Test("a missing, foreign-scheme or wrong token is 401 with a Bearer challenge; the right one is 200")
    func authentication() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let missing = try await admin(client, .get, "/admin/issuers", token: nil)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="keybound""#)

            let basicScheme = try await client.execute(uri: "/admin/issuers", method: .get,
                                                       headers: [.authorization: basic("admin", AdminFixture.token)])
            #expect(basicScheme.status == .unauthorized)
            #expect(basicScheme.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

            // Credentials that are not one token (none, two, a space inside) are malformed: 400 (RFC 6750 §3.1).
            for malformed in ["Bearer ", "Bearer a b", "Bearer \(AdminFixture.token) \(AdminFixture.token)"] {
                let response = try await client.execute(uri: "/admin/issuers", method: .get, headers: [.authorization: malformed])
                #expect(response.status == .badRequest, "\(malformed.prefix(10))")
                #expect(try body(response)["error"] == .string("invalid_request"))
                #expect(!text(response).contains("consumers"))
            }
            for wrong in [String(repeating: "a", count: 39), String(repeating: "a", count: 41), String(repeating: "b", count: 40)] {
                let response = try await admin(client, .get, "/admin/issuers", token: wrong)
                #expect(response.status == .unauthorized, "token of \(wrong.count) characters")
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
                #expect(try body(response)["error"] == .string("invalid_token"))
                #expect(!text(response).contains("consumers"))
            }
            // Unknown admin routes are not revealed before authentication.
            let probe = try await admin(client, .get, "/admin/secret-route", token: nil)
            #expect(probe.status == .unauthorized)

            let good = try await admin(client, .get, "/admin/issuers")
            #expect(good.status == .ok)
            #expect(good.headers[.cacheControl] == "no-store")
            let ids = try body(good)["issuers"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue }
            #expect(ids == ["consumers", "contoso"])
            let unknown = try await admin(client, .get, "/admin/secret-route")
            #expect(unknown.status == .notFound)
            let wrongMethod = try await admin(client, .delete, "/admin/issuers")
            #expect(wrongMethod.status == .notFound)  // Hummingbird answers 404 for a method a path does not take
            let twice = try await client.execute(uri: "/admin/issuers", method: .get, headers: [
                .authorization: "Bearer \(AdminFixture.token)", .authorization: "Bearer \(AdminFixture.token)"])
            #expect(twice.status == .badRequest)
        }
    }

    @Test("creating an issuer: 201 with its URL, settings, active key and Keybound Mail; JWKS served at once; errors mapped")
    func createIssuer() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app(withProvider: true).test(.router) { client in
            // Load the key cache, so that serving the new issuer's JWKS at once needs the invalidation.
            #expect(try await client.execute(uri: "/consumers/jwks", method: .get).status == .ok)
            let response = try await admin(client, .post, "/admin/issuers", json: """
                {"id": "fabrikam", "kind": "tenant", "tenant_id": "fab-1", "algorithm": "ES384",
                 "rotation_period": "7d", "publish_lead_time": "12h"}
                """)
            #expect(response.status == .created)
            #expect(response.headers[.location] == "/admin/issuers/fabrikam")
            let issuer = try body(response)
            #expect(issuer["url"] == .string("https://id.keybound.test/fabrikam"))
            #expect(issuer["algorithm"] == .string("ES384"))
            #expect(issuer["rotation_period"] == .string("7d"))
            #expect(issuer["publish_lead_time"] == .string("12h"))
            #expect(issuer["maximum_key_age"] == .string("90d"))
            #expect(issuer["tenant_id"] == .string("fab-1"))
            #expect(issuer["custody"] == .string("software"))
            let kid = try #require(issuer["active_kid"]?.stringValue)
            let resources = try #require(issuer["resources"]?.arrayValue)
            #expect(resources.first?.objectValue?["audience"] == .string("api://mail"))
            #expect(resources.first?.objectValue?["roles"] == .array([.string("Mail.Read.All"), .string("AuditLog.Read.All")]))
            #expect(!text(response).contains("\"d\""))

            let jwks = try await client.execute(uri: "/fabrikam/jwks", method: .get)
            #expect(jwks.status == .ok)
            #expect(text(jwks).contains(kid))

            let shown = try body(try await admin(client, .get, "/admin/issuers/fabrikam"))
            #expect(shown["active_kid"] == .string(kid))

            let duplicate = try await admin(client, .post, "/admin/issuers", json: #"{"id": "fabrikam", "kind": "consumer"}"#)
            #expect(duplicate.status == .conflict)
            for (json, fragment) in [(#"{"id": "admin", "kind": "consumer"}"#, "reserved"),
                                     (#"{"id": "x1", "kind": "consumer", "tenant_id": "t"}"#, "tenant_id"),
                                     (#"{"id": "x7", "kind": "tenant", "tenant_id": "a/b"}"#, "tenant_id"),
                                     (#"{"id": "x2", "kind": "tenant"}"#, "tenant_id"),
                                     (#"{"id": "x3", "kind": "realm"}"#, "kind"),
                                     (#"{"id": "x4", "kind": "consumer", "algorithm": "HS256"}"#, "algorithm"),
                                     (#"{"id": "x5", "kind": "consumer", "rotation_period": "soon"}"#, "rotation_period"),
                                     (#"{"id": "x6", "kind": "consumer", "rotation_period": "1d", "publish_lead_time": "2d"}"#, "publish_lead_time"),
                                     (#"{"id": "x9", "kind": "consumer", "custody": "hsm"}"#, "custody"),
                                     // This server has no PKCS#11 token: such an issuer cannot be made here.
                                     (#"{"id": "x10", "kind": "consumer", "custody": "pkcs11"}"#, "PKCS#11"),
                                     (#"{"id": "Upper", "kind": "consumer"}"#, "'id'")] {
                let bad = try await admin(client, .post, "/admin/issuers", json: json)
                #expect(bad.status == .badRequest, "\(json)")
                #expect(try body(bad)["error_description"]?.stringValue?.contains(fragment) == true, "\(json): \(text(bad))")
            }
            // Every issuer's tid is its own: a second tenant cannot take fabrikam's.
            let sameTenant = try await admin(client, .post, "/admin/issuers", json: #"{"id": "x8", "kind": "tenant", "tenant_id": "fab-1"}"#)
            #expect(sameTenant.status == .conflict)
            #expect(text(sameTenant).contains("tenant id"))
            #expect(try await admin(client, .get, "/admin/issuers/nobody").status == .notFound)
        }
        await #expect(try fixture.context.manager.issuers().map(\.id) == ["consumers", "contoso", "fabrikam"])
    }

    @Test("a client secret is shown once: never by GET or list, not even its digest; rotation replaces it")
    func clientSecretOnce() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app(withProvider: true).test(.router) { client in
            let created = try await admin(client, .post, "/admin/issuers/contoso/clients", json: daemonJSON)
            #expect(created.status == .created)
            #expect(created.headers[.cacheControl] == "no-store")
            #expect(created.headers[.location] == "/admin/issuers/contoso/clients/reporter")
            let object = try body(created)
            let secret = try #require(object["client_secret"]?.stringValue)
            #expect(secret.hasPrefix("kbs_"))
            #expect(object["has_secret"] == .bool(true))
            #expect(object["first_party"] == .bool(false))
            let digest = Secrets.hexDigest(secret)
            #expect(!text(created).contains(digest))
            let stored = try #require(try fixture.store.client(issuerID: "contoso", clientID: "reporter"))
            #expect(stored.secretHash == digest)

            for uri in ["/admin/issuers/contoso/clients/reporter", "/admin/issuers/contoso/clients"] {
                let response = try await admin(client, .get, uri)
                #expect(response.status == .ok)
                let all = text(response)
                #expect(all.contains("reporter"))
                #expect(!all.contains(secret), "\(uri) shows the secret")
                #expect(!all.contains(digest), "\(uri) shows the secret's digest")
                #expect(!all.contains("kbs_"))
            }

            // The secret works at the token endpoint.
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: secret).status == .ok)

            let rotated = try await admin(client, .post, "/admin/issuers/contoso/clients/reporter/secret")
            #expect(rotated.status == .ok)
            let newSecret = try #require(try body(rotated)["client_secret"]?.stringValue)
            #expect(newSecret != secret)
            #expect(!text(rotated).contains(Secrets.hexDigest(newSecret)))
            let after = text(try await admin(client, .get, "/admin/issuers/contoso/clients/reporter"))
            #expect(!after.contains(newSecret))
            #expect(!after.contains(Secrets.hexDigest(newSecret)))
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: secret).status == .unauthorized)
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: newSecret).status == .ok)

            let disabled = try await admin(client, .post, "/admin/issuers/contoso/clients/reporter/disable")
            #expect(try body(disabled)["disabled"] == .bool(true))
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: newSecret).status == .unauthorized)
            let enabled = try await admin(client, .post, "/admin/issuers/contoso/clients/reporter/enable")
            #expect(try body(enabled)["disabled"] == .bool(false))
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: newSecret).status == .ok)

            let duplicate = try await admin(client, .post, "/admin/issuers/contoso/clients", json: daemonJSON)
            #expect(duplicate.status == .conflict)
            #expect(try body(duplicate)["error"] == .string("conflict"))
        }
    }

    @Test("clients: public and private_key_jwt have no secret; bad settings are 400 with the reason")
    func clientKinds() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        let key = try SigningKey.generate(algorithm: .es256, issuer: "partner", keyID: "partner-1")
        let publicJWKS = JSONWriter().string(.object(JSONObject(["keys": .array([.object(key.publicJWK.publicJSON)])])))
        var privateMember = key.publicJWK.publicJSON
        privateMember["d"] = .string("AAAA")
        let privateJWKS = JSONWriter().string(.object(JSONObject(["keys": .array([.object(privateMember)])])))
        try await fixture.app().test(.router) { client in
            let web = try await admin(client, .post, "/admin/issuers/contoso/clients", json: """
                {"name": "Web", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
                 "redirect_uris": ["https://app.example/callback"], "first_party": true}
                """)
            #expect(web.status == .created)
            let webObject = try body(web)
            #expect(webObject["client_secret"] == nil)
            #expect(webObject["has_secret"] == .bool(false))
            #expect(webObject["first_party"] == .bool(true))
            #expect(webObject["client_id"]?.stringValue?.count == 36)

            let signer = try await admin(client, .post, "/admin/issuers/contoso/clients", json: """
                {"client_id": "signer", "name": "Signer", "token_endpoint_auth_method": "private_key_jwt",
                 "grant_types": ["client_credentials"], "jwks": \(publicJWKS)}
                """)
            #expect(signer.status == .created)
            #expect(try body(signer)["has_jwks"] == .bool(true))
            #expect(try body(signer)["client_secret"] == nil)
            let noSecret = try await admin(client, .post, "/admin/issuers/contoso/clients/signer/secret")
            #expect(noSecret.status == .badRequest)

            for (json, fragment) in [
                (#"{"name": "P", "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"], "jwks": \#(privateJWKS)}"#, "private"),
                (#"{"name": "P", "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"]}"#, "key set"),
                (#"{"name": "S", "token_endpoint_auth_method": "client_secret_post", "grant_types": ["client_credentials"], "jwks": \#(publicJWKS)}"#, "jwks"),
                (#"{"name": "R", "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["client_credentials"], "roles": ["api://mail/Mail.Delete.All"]}"#, "Mail.Delete.All"),
                (#"{"name": "G", "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["password"]}"#, "password"),
                (#"{"name": "N", "token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}"#, "public client"),
                (#"{"name": "U", "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"], "redirect_uris": ["http://evil.example/cb"]}"#, "redirect URI"),
                (#"{"name": "M", "token_endpoint_auth_method": "client_secret_jwt", "grant_types": ["client_credentials"]}"#, "token_endpoint_auth_method"),
                (#"{"client_id": "bad id", "name": "I", "token_endpoint_auth_method": "none", "grant_types": ["refresh_token"]}"#, "client id"),
                (#"{"name": "E", "token_endpoint_auth_method": "none", "grant_types": []}"#, "grant_types"),
            ] {
                let bad = try await admin(client, .post, "/admin/issuers/contoso/clients", json: json)
                #expect(bad.status == .badRequest, "\(json)")
                #expect(try body(bad)["error_description"]?.stringValue?.contains(fragment) == true, "\(json): \(text(bad))")
            }
            let list = try body(try await admin(client, .get, "/admin/issuers/contoso/clients"))
            #expect(list["clients"]?.arrayValue?.count == 2)
        }
    }

    @Test("rotate publishes a pending key; revoke revokes it by (issuer, kid) and records admin-api; events list it")
    func rotateAndRevoke() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app(withProvider: true).test(.router) { client in
            // The access-token keys (the ID-token keys rotate alongside, see IDTokenSigningTests).
            func keys(_ issuer: String) async throws -> [JSONObject] {
                (try body(try await admin(client, .get, "/admin/issuers/\(issuer)/keys"))["keys"]?.arrayValue?.compactMap(\.objectValue) ?? [])
                    .filter { $0["purpose"] == .string("access-token") }
            }
            let before = try await keys("consumers")
            #expect(before.map { $0["state"] } == [.string("active")])
            let firstKid = try #require(before.first?["kid"]?.stringValue)
            #expect(!text(try await admin(client, .get, "/admin/issuers/consumers/keys")).contains("\"d\""))

            let rotated = try await admin(client, .post, "/admin/issuers/consumers/keys/rotate", json: #"{"reason": "quarterly drill"}"#)
            #expect(rotated.status == .ok)
            let rotation = try body(rotated)
            #expect(rotation["reason"] == .string("quarterly drill"))
            let rotatedKeys = rotation["keys"]?.arrayValue?.compactMap(\.objectValue) ?? []
            #expect(Set(rotatedKeys.filter { $0["state"] == .string("pending") }.compactMap { $0["purpose"]?.stringValue }) == ["access-token", "id-token"],
                    "both purposes are rotated")
            let afterRotate = try await keys("consumers")
            #expect(afterRotate.map { $0["state"] } == [.string("active"), .string("pending")])
            let pendingKid = try #require(afterRotate.last?["kid"]?.stringValue)
            // The JWKS publishes the pending key at once (key cache invalidated).
            #expect(text(try await client.execute(uri: "/consumers/jwks", method: .get)).contains(pendingKid))

            // Another issuer's path does not reach this key.
            let foreign = try await admin(client, .post, "/admin/issuers/contoso/keys/\(firstKid)/revoke", json: #"{"reason": "wrong issuer"}"#)
            #expect(foreign.status == .notFound)
            #expect(try await keys("consumers").first?["state"] == .string("active"))

            let noReason = try await admin(client, .post, "/admin/issuers/consumers/keys/\(firstKid)/revoke", json: "{}")
            #expect(noReason.status == .badRequest)
            let blank = try await admin(client, .post, "/admin/issuers/consumers/keys/\(firstKid)/revoke", json: #"{"reason": "   "}"#)
            #expect(blank.status == .badRequest)
            #expect(try await admin(client, .post, "/admin/issuers/consumers/keys/no-such-kid/revoke", json: #"{"reason": "x"}"#).status == .notFound)

            let revoked = try await admin(client, .post, "/admin/issuers/consumers/keys/\(firstKid)/revoke", json: #"{"reason": "leaked in a crash dump"}"#)
            #expect(revoked.status == .ok)
            let key = try body(revoked)
            #expect(key["kid"] == .string(firstKid))
            #expect(key["state"] == .string("revoked"))
            #expect(key["revoked_by"] == .string("admin-api"))
            #expect(key["revocation_reason"] == .string("leaked in a crash dump"))
            let afterRevoke = try await keys("consumers")
            #expect(afterRevoke.first { $0["kid"] == .string(firstKid) }?["state"] == .string("revoked"))
            #expect(afterRevoke.first { $0["kid"] == .string(pendingKid) }?["state"] == .string("active"))
            let jwks = text(try await client.execute(uri: "/consumers/jwks", method: .get))
            #expect(!jwks.contains(firstKid))
            #expect(try await keys("contoso").allSatisfy { $0["state"] == .string("active") })

            let events = try body(try await admin(client, .get, "/admin/events?after=0&limit=1000"))
            let list = (events["events"]?.arrayValue ?? []).compactMap(\.objectValue)
            #expect(!list.isEmpty)
            let published = try #require(list.first { $0["kind"] == .string("created") && $0["kid"] == .string(pendingKid) })
            #expect(published["actor"] == .string("admin-api"))
            let revocation = try #require(list.first { $0["kind"] == .string("revoked") })
            #expect(revocation["kid"] == .string(firstKid))
            #expect(revocation["actor"] == .string("admin-api"))
            #expect(events["next_after"] == list.last?["sequence"])
            let one = try body(try await admin(client, .get, "/admin/events?after=1&limit=1"))
            #expect(one["events"]?.arrayValue?.count == 1)
            #expect(one["events"]?.arrayValue?.first?.objectValue?["sequence"] == .number(2))
            for query in ["limit=1001", "limit=0", "after=-1", "after=x", "since=3"] {
                #expect(try await admin(client, .get, "/admin/events?\(query)").status == .badRequest, "\(query)")
            }
        }
    }

    @Test("a consumer realm's client holds no tenant-wide role; a new consumer realm gets its own generated tid")
    func consumerRealmRoles() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            for roles in [#"["api://mail/Mail.Read.All"]"#, #"["api://mail/AuditLog.Read.All"]"#] {
                let json = #"{"client_id": "reader", "name": "Reader", "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["client_credentials"], "roles": \#(roles)}"#
                let refused = try await admin(client, .post, "/admin/issuers/consumers/clients", json: json)
                #expect(refused.status == .badRequest, "\(roles)")
                #expect(text(refused).contains("consumer realm"), "\(text(refused))")
            }
            #expect(try fixture.store.client(issuerID: "consumers", clientID: "reader") == nil)
            // The same role is fine for an enterprise tenant's client.
            let json = #"{"client_id": "reader", "name": "Reader", "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["client_credentials"], "roles": ["api://mail/Mail.Read.All"]}"#
            #expect(try await admin(client, .post, "/admin/issuers/contoso/clients", json: json).status == .created)
            let created = try body(try await admin(client, .post, "/admin/issuers", json: #"{"id": "outlook", "kind": "consumer"}"#))
            let tid = try #require(created["tenant_id"]?.stringValue)
            #expect(UUID(uuidString: tid) != nil && tid != IssuerRecord.wellKnownConsumerTenantID)
        }
    }

    @Test("a client or user of one issuer is not reachable through another issuer's path")
    func crossIssuer() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            #expect(try await admin(client, .post, "/admin/issuers/contoso/clients", json: daemonJSON).status == .created)
            #expect(try await admin(client, .post, "/admin/issuers/contoso/users",
                                    json: #"{"username": "alice", "password": "correct horse battery"}"#).status == .created)
            for (method, uri) in [(HTTPRequest.Method.get, "/admin/issuers/consumers/clients/reporter"),
                                  (.post, "/admin/issuers/consumers/clients/reporter/secret"),
                                  (.post, "/admin/issuers/consumers/clients/reporter/disable"),
                                  (.get, "/admin/issuers/consumers/users/alice"),
                                  (.post, "/admin/issuers/consumers/users/alice/disable"),
                                  (.get, "/admin/issuers/nobody/clients/reporter"),
                                  (.get, "/admin/issuers/nobody/users")] {
                let response = try await admin(client, method, uri)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(try body(response)["error"] == .string("not_found"))
            }
            let consumersClients = try body(try await admin(client, .get, "/admin/issuers/consumers/clients"))
            #expect(consumersClients["clients"] == .array([]))
            let consumersUsers = try body(try await admin(client, .get, "/admin/issuers/consumers/users"))
            #expect(consumersUsers["users"] == .array([]))
        }
        let reporter = try #require(try fixture.store.client(issuerID: "contoso", clientID: "reporter"))
        #expect(!reporter.isDisabled)
        #expect(try fixture.store.user(issuerID: "contoso", username: "alice")?.isDisabled == false)
    }

    @Test("users: bcrypt-hashed, never shown; short passwords refused; disable works")
    func users() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        let password = "correct horse battery staple"
        try await fixture.app().test(.router) { client in
            let created = try await admin(client, .post, "/admin/issuers/contoso/users",
                                          json: #"{"username": "adele", "password": "\#(password)", "name": "Adele V", "email": "adele@contoso.example"}"#)
            #expect(created.status == .created)
            let user = try body(created)
            #expect(user["username"] == .string("adele"))
            #expect(user["name"] == .string("Adele V"))
            #expect(user["sub"]?.stringValue?.count == 36)
            #expect(user["password"] == nil)
            let stored = try #require(try fixture.store.user(issuerID: "contoso", username: "adele"))
            #expect(stored.passwordHash.hasPrefix("$2"))
            #expect(PasswordHasher.verify(password, hash: stored.passwordHash))
            for response in [created, try await admin(client, .get, "/admin/issuers/contoso/users"),
                             try await admin(client, .get, "/admin/issuers/contoso/users/adele")] {
                #expect(response.status.code < 300)
                #expect(!text(response).contains(password))
                #expect(!text(response).contains(stored.passwordHash))
                #expect(!text(response).contains("$2"))
            }
            let short = try await admin(client, .post, "/admin/issuers/contoso/users", json: #"{"username": "bob", "password": "elevenchars"}"#)
            #expect(short.status == .badRequest)
            #expect(try body(short)["error_description"]?.stringValue?.contains("12") == true)
            let long = try await admin(client, .post, "/admin/issuers/contoso/users",
                                       json: #"{"username": "bob", "password": "\#(String(repeating: "x", count: 73))"}"#)
            #expect(long.status == .badRequest)
            let duplicate = try await admin(client, .post, "/admin/issuers/contoso/users", json: #"{"username": "adele", "password": "another long password"}"#)
            #expect(duplicate.status == .conflict)
            let badEmail = try await admin(client, .post, "/admin/issuers/contoso/users",
                                           json: #"{"username": "carol", "password": "another long password", "email": "carol"}"#)
            #expect(badEmail.status == .badRequest)

            let spaced = try await admin(client, .post, "/admin/issuers/contoso/users", json: #"{"username": "Adele V/2", "password": "another long password"}"#)
            #expect(spaced.status == .created)
            #expect(spaced.headers[.location] == "/admin/issuers/contoso/users/Adele%20V%2F2")
            let byEncodedPath = try await admin(client, .get, "/admin/issuers/contoso/users/Adele%20V%2F2")
            #expect(try body(byEncodedPath)["username"] == .string("Adele V/2"))

            let disabled = try await admin(client, .post, "/admin/issuers/contoso/users/adele/disable")
            #expect(disabled.status == .ok)
            #expect(try body(disabled)["disabled"] == .bool(true))
            #expect(try fixture.store.user(issuerID: "contoso", username: "adele")?.isDisabled == true)
        }
    }

    @Test("bodies: malformed JSON, duplicate or unknown members, wrong types → 400; other media types → 415; over 64 KiB → 413")
    func strictBodies() async throws {
        let fixture = try await AdminFixture()
        defer { fixture.remove() }
        try await fixture.app().test(.router) { client in
            let cases: [(String, String, String)] = [
                (#"{"id": "x", "kind": "consumer""#, "not a valid JSON", "truncated"),
                (#"["id"]"#, "object", "array"),
                (#"{"id": "x", "kind": "consumer", "id": "y"}"#, "duplicate", "duplicate member"),
                (#"{"id": "x", "kind": "consumer", "admin": true}"#, "'admin'", "unknown member"),
                (#"{"id": 7, "kind": "consumer"}"#, "string", "number for a string"),
                (#"{"id": "x", "kind": ["consumer"]}"#, "string", "array for a string"),
                (#"{"kind": "consumer"}"#, "'id'", "missing member"),
            ]
            for (json, fragment, label) in cases {
                let response = try await admin(client, .post, "/admin/issuers", json: json)
                #expect(response.status == .badRequest, "\(label)")
                let object = try body(response)
                #expect(object["error"] == .string("invalid_request"), "\(label)")
                #expect(object["error_description"]?.stringValue?.contains(fragment) == true, "\(label): \(text(response))")
            }
            let wrongType = try await admin(client, .post, "/admin/issuers/consumers/clients",
                                            json: #"{"name": "W", "token_endpoint_auth_method": "none", "grant_types": "refresh_token"}"#)
            #expect(wrongType.status == .badRequest)
            #expect(try body(wrongType)["error_description"]?.stringValue?.contains("array of strings") == true)
            let wrongBool = try await admin(client, .post, "/admin/issuers/consumers/clients",
                                            json: #"{"name": "W", "token_endpoint_auth_method": "none", "grant_types": ["refresh_token"], "first_party": "yes"}"#)
            #expect(wrongBool.status == .badRequest)

            for contentType in ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin1", "application/jsonx"] {
                let response = try await admin(client, .post, "/admin/issuers", json: #"{"id": "x", "kind": "consumer"}"#, contentType: contentType)
                #expect(response.status == .unsupportedMediaType, "\(contentType)")
                #expect(try body(response)["error"] == .string("invalid_request"))
            }
            let noType = try await admin(client, .post, "/admin/issuers", json: #"{"id": "x", "kind": "consumer"}"#, contentType: nil)
            #expect(noType.status == .unsupportedMediaType)
            let charset = try await admin(client, .post, "/admin/issuers", json: #"{"id": "okay", "kind": "consumer"}"#,
                                          contentType: "application/json; charset=UTF-8")
            #expect(charset.status == .created)

            let huge = #"{"id": "big", "kind": "consumer", "tenant_id": ""# + String(repeating: "x", count: 70_000) + #""}"#
            let tooLarge = try await admin(client, .post, "/admin/issuers", json: huge)
            #expect(tooLarge.status == .contentTooLarge)

            // Routes that take no members refuse any.
            let extra = try await admin(client, .post, "/admin/issuers/consumers/keys/rotate", json: #"{"force": true}"#)
            #expect(extra.status == .badRequest)
            #expect(try body(extra)["error_description"]?.stringValue?.contains("'force'") == true)
            let none = try await admin(client, .post, "/admin/issuers/consumers/keys/rotate")
            #expect(none.status == .ok)
        }
        await #expect(try fixture.context.manager.issuers().map(\.id) == ["consumers", "contoso", "okay"])
    }
}

/// A stand-in for a PKCS#11 token in this process: it makes keys, keeps them to itself, signs
/// with them by (issuer, kid), and can be made to refuse everything, as a token that went away.
private final class StandInTokenCustodian: KeyGeneratingCustodian {
    private let keys = Mutex<[String: SigningKey]>([:])
    let away = Mutex(false)

    private static func name(_ issuer: String, _ keyID: String) -> String { issuer + "\u{0}" + keyID }

    func generateKey(algorithm: JWSAlgorithm, issuer: String) async throws(SigningError) -> SigningKeyHandle {
        guard !away.withLock({ $0 }) else { throw SigningError("the stand-in token is away", unavailable: true) }
        let key: SigningKey
        do { key = try SigningKey.generate(algorithm: algorithm, issuer: issuer) } catch { throw SigningError("no key") }
        keys.withLock { $0[Self.name(issuer, key.keyID)] = key }
        return key.handle
    }

    func signature(for signingInput: [UInt8], with key: SigningKeyHandle) async throws(SigningError) -> [UInt8] {
        guard !away.withLock({ $0 }), let signingKey = keys.withLock({ $0[Self.name(key.issuer, key.keyID)] }) else {
            throw SigningError("the stand-in token cannot sign now", unavailable: true)
        }
        return try await SoftwareCustodian(keys: [signingKey]).signature(for: signingInput, with: key)
    }

    func destroyPrivateKey(issuer: String, keyID: String) async throws(SigningError) -> Bool {
        keys.withLock { $0.removeValue(forKey: Self.name(issuer, keyID)) != nil }
    }
}

@Suite("Admin API: issuers in PKCS#11 custody")
struct AdminCustodyTests {
    @Test("an issuer created with custody pkcs11 has its keys made by the custodian and no sealed bytes; its tokens are signed there, and 503 while it is away")
    func createAndIssue() async throws {
        let custodian = StandInTokenCustodian()
        let fixture = try await AdminFixture(custodian: custodian)
        defer { fixture.remove() }
        try await fixture.app(withProvider: true).test(.router) { client in
            let response = try await admin(client, .post, "/admin/issuers", json: #"{"id": "hsm", "kind": "tenant", "tenant_id": "hsm-1", "custody": "pkcs11"}"#)
            #expect(response.status == .created, "\(text(response))")
            let issuer = try body(response)
            #expect(issuer["custody"] == .string("pkcs11"))
            let keys = try await fixture.context.manager.keys(issuerID: "hsm")
            #expect(keys.count == 2 && keys.allSatisfy { $0.custody == .pkcs11 && $0.sealedPrivateKey.isEmpty })
            let listed = try body(try await admin(client, .get, "/admin/issuers/hsm/keys"))
            let rendered = listed["keys"]?.arrayValue ?? []
            #expect(!rendered.isEmpty && rendered.allSatisfy { $0.objectValue?["custody"] == .string("pkcs11") && $0.objectValue?["private_destroyed_at"] == .null })

            try fixture.store.upsert(ResourceRecord(issuerID: "hsm", audience: "api://mail", scopes: ["Mail.Read"], roles: ["Mail.Read.All"]))
            let created = try await admin(client, .post, "/admin/issuers/hsm/clients", json: daemonJSON)
            let secret = try #require(try body(created)["client_secret"]?.stringValue)
            let issued = try await clientCredentials(client, issuer: "hsm", id: "reporter", secret: secret)
            #expect(issued.status == .ok, "\(text(issued))")
            let token = try #require(try body(issued)["access_token"]?.stringValue)
            let jwks = try await client.execute(uri: "/hsm/jwks", method: .get)
            var trust = TrustStore()
            try trust.add(TrustedIssuer(identifier: fixture.context.configuration.issuerURL("hsm"), tenancy: .tenant("hsm-1"),
                                        keySet: JWKSet(json: Array(buffer: jwks.body))))
            #expect(TokenVerifier(trust: trust, policy: try VerificationPolicy(audience: "api://mail")).verify(token).rejection == nil)

            custodian.away.withLock { $0 = true }
            let refused = try await clientCredentials(client, issuer: "hsm", id: "reporter", secret: secret)
            #expect(refused.status == .serviceUnavailable, "\(text(refused))")
            #expect(try body(refused)["error"] == .string("temporarily_unavailable"))
            #expect(refused.headers[.retryAfter] != nil)
            // The software issuers beside it are untouched.
            let other = try await admin(client, .post, "/admin/issuers/contoso/clients", json: daemonJSON)
            let otherSecret = try #require(try body(other)["client_secret"]?.stringValue)
            #expect(try await clientCredentials(client, issuer: "contoso", id: "reporter", secret: otherSecret).status == .ok)
            // A new issuer in that custody cannot be made while the token is away: 503, and nothing is created.
            let later = try await admin(client, .post, "/admin/issuers", json: #"{"id": "hsm2", "kind": "consumer", "custody": "pkcs11"}"#)
            #expect(later.status == .serviceUnavailable, "\(text(later))")
            await #expect(throws: StoreError.self) { try await fixture.context.manager.issuer(id: "hsm2") }
        }
    }
}
