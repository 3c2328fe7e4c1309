import Foundation
import Hummingbird
import HummingbirdTesting
import Keybound
@_spi(Plumbing) import KeyboundApp
import KeyboundAudit
import KeyboundFiles
import KeyboundResourceKit
@_spi(Plumbing) import KeyboundServer
import KeyboundStore
import Logging
import Testing

/// The resources `keybound serve --with-mail` runs: Keybound Mail and Keybound Files on one
/// listener, in the provider's process, on real tokens of the provider.
@Suite("Composition root: the shipped resources beside the provider")
struct ProviderResourcesTests {
    /// The provider with Keybound Files registered at contoso (a delegated scope, and the daemon
    /// holding the tenant-wide role), and the shipped resources opened on its data directory.
    static func fixture() async throws -> (ProviderFixture, ResourceHost) {
        let provider = try await ProviderFixture()
        try provider.store.upsert(ResourceRecord(issuerID: "contoso", audience: FilesAPI.audience,
                                                 scopes: [FilesAPI.readScope, FilesAPI.writeScope], roles: [FilesAPI.readAllRole]))
        try provider.store.upsert(ResourceRecord(issuerID: "contoso", audience: "api://mail", scopes: ["Mail.Read", "Mail.Send"],
                                                 roles: ["Mail.Read.All", "AuditLog.Read.All"]))
        try provider.store.insert(ClientRecord(issuerID: "contoso", clientID: "auditor", name: "Mail audit reader", authenticationMethod: .clientSecretBasic,
                                               secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: ["client_credentials"],
                                               roles: ["api://mail/AuditLog.Read.All"], createdAt: Date()))
        try provider.store.insert(ClientRecord(issuerID: "contoso", clientID: "archiver", name: "Archiver", authenticationMethod: .clientSecretBasic,
                                               secretHash: Secrets.hexDigest(ProviderFixture.secret), grantTypes: ["client_credentials"],
                                               roles: ["\(FilesAPI.audience)/\(FilesAPI.readAllRole)"], createdAt: Date()))
        let host = try await ProviderResources.host(context: provider.context, directory: provider.directory.appendingPathComponent("resources"),
                                                    logger: Logger(label: "test.resources"))
        return (provider, host)
    }

    static func token(_ provider: some TestClientProtocol, clientID: String, scope: String) async throws -> String {
        let response = try await ProviderFixture.post(provider, "/contoso/token", [("grant_type", "client_credentials"), ("scope", scope)],
                                                      authorization: ProviderFixture.basic(clientID, ProviderFixture.secret))
        #expect(response.status == .ok)
        return try #require(try ProviderFixture.json(response)["access_token"]?.stringValue)
    }

    @Test("the host serves Mail and Files; each takes only its own audience; both record in one log, each naming itself")
    func mailAndFilesOnOneListener() async throws {
        let (provider, host) = try await Self.fixture()
        defer { provider.remove() }
        #expect(host.resources.map { type(of: $0).resource.audience } == ["api://mail", FilesAPI.audience])
        let resourceApp = Application(router: host.router())
        try await provider.app.test(.router) { providerClient in
            let filesToken = try await Self.token(providerClient, clientID: "archiver", scope: "\(FilesAPI.audience)/.default")
            let mailToken = try await Self.token(providerClient, clientID: "daemon", scope: "api://mail/.default")
            try await resourceApp.test(.router) { client in
                let listed = try await client.execute(uri: "/users/contoso-user-subject/drive/files", method: .get,
                                                      headers: [.authorization: "Bearer \(filesToken)"])
                #expect(listed.status == .ok)
                let mail = try await client.execute(uri: "/users/user@contoso.example/messages", method: .get,
                                                    headers: [.authorization: "Bearer \(mailToken)"])
                #expect(mail.status == .ok)
                let crossed = try await client.execute(uri: "/users/contoso-user-subject/drive/files", method: .get,
                                                       headers: [.authorization: "Bearer \(mailToken)"])
                #expect(crossed.status == .unauthorized, "a Keybound Mail token does not open Keybound Files")
                // Keybound Mail's tenant feed shows Mail's records only, never the drive activity beside them.
                let auditor = try await Self.token(providerClient, clientID: "auditor", scope: "api://mail/.default")
                let feed = try await client.execute(uri: "/audit/records", method: .get, headers: [.authorization: "Bearer \(auditor)"])
                #expect(feed.status == .ok)
                let servers = try StrictJSONParser.parseObject(Array(feed.body.readableBytesView))["records"]?.arrayValue?
                    .compactMap { $0.objectValue?["resource_server"]?.stringValue }
                #expect(servers == ["api://mail"], "the one allowed mail read; no files records")
            }
        }
        let records = try await host.audit.records()
        #expect(records.map(\.resourceServer) == [FilesAPI.audience, "api://mail", FilesAPI.audience, "api://mail"])
        #expect(records.map(\.verdict) == [.allowed, .allowed, .denied, .allowed])
        #expect(records[2].rejectionCode == RejectionCode.audienceMismatch.rawValue)
        #expect(records.first?.resource == "drive/contoso-user-subject" && records.first?.tenantIssuer == provider.context.configuration.issuerURL("contoso"))
    }

    @Test("in the provider's process, Files asks the issuance ledger: a token signed with contoso's own key but never issued is refused")
    func ledgerCheckCoversFiles() async throws {
        let (provider, host) = try await Self.fixture()
        defer { provider.remove() }
        let stolen = try await provider.context.manager.signingKey(issuerID: "contoso")
        let now = Date().timeIntervalSince1970.rounded(.down)
        let claims = JSONObject(["iss": .string(provider.context.configuration.issuerURL("contoso")), "sub": .string("contoso-user-subject"),
                                 "aud": .string(FilesAPI.audience), "iat": .number(now), "exp": .number(now + 300),
                                 "jti": .string(UUID().uuidString), "client_id": .string("web"), "scope": .string(FilesAPI.readScope),
                                 "tid": .string(DevelopmentBootstrap.tenantID)])
        let header = JSONObject(["alg": .string(stolen.algorithm.rawValue), "kid": .string(stolen.keyID), "typ": .string("at+jwt")])
        let forged = try TokenSigner(key: stolen).sign(header: header, payload: JSONWriter().bytes(.object(claims)))
        try await Application(router: host.router()).test(.router) { client in
            let response = try await client.execute(uri: "/me/drive/files", method: .get, headers: [.authorization: "Bearer \(forged)"])
            #expect(response.status == .unauthorized)
        }
        let record = try #require(try await host.audit.records().last)
        #expect(record.rejectionCode == RejectionCode.tokenNotIssued.rawValue && record.resourceServer == FilesAPI.audience)
    }

    @Test("the development bootstrap registers every shipped resource besides Mail, with tenant roles only in an enterprise tenant")
    func bootstrapRegistersFiles() async throws {
        let provider = try await ProviderFixture()
        defer { provider.remove() }
        #expect(ProviderResources.developmentResources.map(\.audience) == [FilesAPI.audience])
        let context = provider.context, now = Date()
        for (id, kind) in [("northwind", IssuerRecord.Kind.tenant), ("gamers", .consumer)] {
            let record = IssuerRecord(id: id, url: context.configuration.issuerURL(id), kind: kind,
                                      tenantID: kind == .tenant ? "\(id)-tid" : nil, algorithm: .es256, createdAt: now)
            try await context.manager.createIssuer(record, actor: "test")
            _ = try await DevelopmentBootstrap.populate(try await context.manager.issuer(id: id), context: context, now: now,
                                                        resources: ProviderResources.developmentResources)
        }
        let northwind = try #require(try provider.store.resource(issuerID: "northwind", audience: FilesAPI.audience))
        let gamers = try #require(try provider.store.resource(issuerID: "gamers", audience: FilesAPI.audience))
        #expect(northwind.roles == [FilesAPI.readAllRole] && gamers.roles.isEmpty)
        #expect(gamers.scopes == [FilesAPI.readScope, FilesAPI.writeScope])
        #expect(try provider.store.client(issuerID: "northwind", clientID: "northwind-daemon")?.roles
                    .contains("\(FilesAPI.audience)/\(FilesAPI.readAllRole)") == true)
        #expect(try provider.store.client(issuerID: "gamers", clientID: "gamers-daemon")?.roles.isEmpty == true)
    }
}
