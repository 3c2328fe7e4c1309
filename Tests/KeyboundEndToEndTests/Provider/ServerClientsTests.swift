import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Testing

/// `server_clients` of a resource: checked when stored (confidential clients of the same issuer,
/// exact bytes), managed through the admin API and `keybound resource`.
@Suite("Provider: resources and their server clients")
struct ServerClientsTests {
    static let adminToken = String(repeating: "s", count: 40)

    /// contoso's `api://mail` with `serverClients`.
    static func mail(_ serverClients: [String]) -> ResourceRecord {
        ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"], roles: ["Mail.Read.All"], serverClients: serverClients)
    }

    @Test("the store accepts only confidential clients of the same issuer, by exact bytes, each once", arguments: [
        (["web"], "public client"), (["nobody"], "no client"), (["Daemon"], "no client"), (["daemon", "daemon"], "named twice"),
        (["consumers-only"], "no client"), (["bad id"], "not a valid client id"),
    ])
    func storeValidation(serverClients: [String], reason: String) async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try store.insert(ClientRecord(issuerID: "consumers", clientID: "consumers-only", name: "Other issuer", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: [], createdAt: Date()))
        let error = #expect(throws: StoreError.self) { try store.upsert(Self.mail(serverClients)) }
        #expect(error?.code == .invalidResource)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        // Nothing changed.
        #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["daemon"])
    }

    @Test("a valid list round-trips, replaces the previous one, and a private_key_jwt client may serve too")
    func storeRoundTrip() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try store.upsert(Self.mail(["signer", "poster"]))
        #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["signer", "poster"])
        #expect(try store.resource(issuerID: "consumers", audience: "api://mail")?.serverClients == ["daemon"], "the other issuer is untouched")
        try store.upsert(Self.mail([]))
        #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == [])
        #expect(try store.resource(issuerID: "contoso", audience: "api://nothing") == nil)
    }

    static func admin(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(adminToken)"]
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    static func adminApp(_ fixture: ProviderFixture) -> some ApplicationProtocol {
        var configuration = fixture.configuration
        configuration.adminToken = adminToken
        let context = ProviderContext(manager: fixture.context.manager, store: fixture.context.store, configuration: configuration)
        return Application(router: KeyboundApplication.router(context: context))
    }

    @Test("the admin API registers resources with server clients, replaces them, and refuses clients that may not serve")
    func adminAPI() async throws {
        let fixture = try await ProviderFixture()
        defer { fixture.remove() }
        try await Self.adminApp(fixture).test(.router) { client in
            let created = try await Self.admin(client, .post, "/admin/issuers/contoso/resources",
                                               json: #"{"audience": "api://calendar", "scopes": ["Calendars.Read"], "roles": ["Calendars.Read.All"], "server_clients": ["daemon"]}"#)
            #expect(created.status == .created)
            #expect(created.headers[.location] == "/admin/issuers/contoso/resources/api%3A%2F%2Fcalendar")
            let body = try ProviderFixture.json(created)
            #expect(body["server_clients"] == .array([.string("daemon")]))
            #expect(body["issuer"] == .string("contoso"))

            let shown = try await Self.admin(client, .get, "/admin/issuers/contoso/resources/api%3A%2F%2Fcalendar")
            #expect(shown.status == .ok)
            #expect(try ProviderFixture.json(shown)["audience"] == .string("api://calendar"))
            let replaced = try await Self.admin(client, .post, "/admin/issuers/contoso/resources/api%3A%2F%2Fcalendar/server-clients",
                                                json: #"{"server_clients": ["signer", "poster"]}"#)
            #expect(replaced.status == .ok)
            #expect(try fixture.store.resource(issuerID: "contoso", audience: "api://calendar")?.serverClients == ["signer", "poster"])

            let list = try ProviderFixture.json(try await Self.admin(client, .get, "/admin/issuers/contoso/resources"))
            #expect(list["resources"]?.arrayValue?.count == 2)
            let issuer = try ProviderFixture.json(try await Self.admin(client, .get, "/admin/issuers/contoso"))
            #expect(issuer["resources"]?.arrayValue?.contains { $0.objectValue?["server_clients"] == .array([.string("daemon")]) } == true)

            // Well formed but refused against the store: invalid_settings; refused by the document's
            // shape: invalid_request (docs/admin-api.md).
            for (json, fragment, code) in [(#"{"server_clients": ["web"]}"#, "public client", "invalid_settings"),
                                           (#"{"server_clients": ["nobody"]}"#, "no client", "invalid_settings"),
                                           (#"{"server_clients": "daemon"}"#, "array of strings", "invalid_request"),
                                           (#"{}"#, "required", "invalid_request")] {
                let refused = try await Self.admin(client, .post, "/admin/issuers/contoso/resources/api%3A%2F%2Fcalendar/server-clients", json: json)
                #expect(refused.status == .badRequest, "\(json)")
                let error = try ProviderFixture.json(refused)
                #expect(error["error"] == .string(code), "\(json)")
                #expect(error["error_description"]?.stringValue?.contains(fragment) == true, "\(error)")
            }
            #expect(try fixture.store.resource(issuerID: "contoso", audience: "api://calendar")?.serverClients == ["signer", "poster"])
            let missing = try await Self.admin(client, .post, "/admin/issuers/contoso/resources/api%3A%2F%2Fnone/server-clients",
                                               json: #"{"server_clients": []}"#)
            #expect(missing.status == .notFound)
            // Another issuer's resource path does not reach contoso's resource.
            #expect(try await Self.admin(client, .get, "/admin/issuers/consumers/resources/api%3A%2F%2Fcalendar").status == .notFound)
            let again = try await Self.admin(client, .post, "/admin/issuers/contoso/resources",
                                             json: #"{"audience": "api://calendar", "server_clients": []}"#)
            #expect(again.status == .ok, "replacing an existing resource answers 200")
        }
    }

    @Test("keybound resource set, server-clients and list work on the data directory and refuse what the store refuses")
    func cli() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-resource-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let kek = KeyEncryptionKey.generate()
        let kekFile = try StoreCLI.writeKEKFile(kek.base64Text, near: directory)
        defer { try? FileManager.default.removeItem(atPath: kekFile) }
        let environment = ["KEYBOUND_KEK_FILE": kekFile]
        let created = try await StoreCLI.run(["issuer", "create", "--data", directory.path, "--id", "contoso", "--url", "https://id.example/contoso",
                                        "--kind", "tenant", "--tenant-id", "t-1"], environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        let store = try SQLiteProviderStore(directory: directory)
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "mail-server", name: "Mail", authenticationMethod: .clientSecretBasic,
                                      secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: [], createdAt: Date()))
        try store.insert(ClientRecord(issuerID: "contoso", clientID: "spa", name: "SPA", authenticationMethod: .none,
                                      redirectURIs: ["https://spa.example/cb"], grantTypes: ["authorization_code"], createdAt: Date()))

        let set = try await StoreCLI.run(["resource", "set", "--data", directory.path, "--issuer", "contoso", "--audience", "api://mail",
                                    "--scope", "Mail.Read", "--role", "Mail.Read.All", "--server-client", "mail-server", "--json"], environment: environment)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == ["mail-server"])
        let publicClient = try await StoreCLI.run(["resource", "server-clients", "--data", directory.path, "--issuer", "contoso",
                                             "--audience", "api://mail", "--client", "spa"], environment: environment)
        #expect(publicClient.status != 0)
        #expect(publicClient.stderr.contains("public client"), "\(publicClient.stderr)")
        let cleared = try await StoreCLI.run(["resource", "server-clients", "--data", directory.path, "--issuer", "contoso", "--audience", "api://mail"],
                                       environment: environment)
        #expect(cleared.status == 0, "\(cleared.stderr)")
        #expect(try store.resource(issuerID: "contoso", audience: "api://mail")?.serverClients == [])
        let list = try await StoreCLI.run(["resource", "list", "--data", directory.path, "--issuer", "contoso", "--json"], environment: environment)
        #expect(list.status == 0)
        let json = try StrictJSONParser.parseObject(Array(list.stdout.utf8))
        #expect(json["resources"]?.arrayValue?.first?.objectValue?["audience"] == .string("api://mail"))
        let unknownIssuer = try await StoreCLI.run(["resource", "list", "--data", directory.path, "--issuer", "nope"], environment: environment)
        #expect(unknownIssuer.status != 0)
    }
}
