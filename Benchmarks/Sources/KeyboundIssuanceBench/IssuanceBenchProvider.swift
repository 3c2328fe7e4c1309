import AsyncHTTPClient
import Crypto
import Foundation
import Keybound
import KeyboundServer
import KeyboundStore
import Logging
import NIOCore
import ServiceLifecycle

/// A Keybound provider in this process, on a loopback port, over a temporary data directory: one
/// tenant issuer (`bench`), a resource `api://bench` with the role `Bench.Read.All`, an application
/// `bench-app` (client_credentials) and the validator's server client `bench-validator`.
struct IssuanceBenchProvider: Sendable {
    static let issuerID = "bench"
    static let audience = "api://bench"
    let appSecret: String
    let validatorSecret: String
    let directory: URL
    let context: ProviderContext
    let group: ServiceGroup
    let server: Task<Void, any Error>
    let client: HTTPClient

    var issuerURL: String { context.configuration.issuerURL(Self.issuerID) }
    var base: String { context.configuration.publicURL }

    static func start(port: Int) async throws -> IssuanceBenchProvider {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keybound-issuance-bench-\(UUID().uuidString)")
        let manager = try await KeyManager(store: try SQLiteKeyStore(directory: directory), kek: .generate())
        var configuration = ServerConfiguration(host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)",
                                                bootstrap: false, metricsEnabled: false)
        configuration.accessTokenLifetime = 3_600
        let context = ProviderContext(manager: manager, store: try SQLiteProviderStore(directory: directory), configuration: configuration)
        try await manager.createIssuer(IssuerRecord(id: issuerID, url: configuration.issuerURL(issuerID), kind: .tenant,
                                                    tenantID: "bench-tenant", algorithm: .es256, createdAt: Date()))
        let appSecret = UUID().uuidString + UUID().uuidString, validatorSecret = UUID().uuidString + UUID().uuidString
        try await context.store.insert(ClientRecord(issuerID: issuerID, clientID: "bench-validator", name: "validator",
                                                    authenticationMethod: .clientSecretBasic, secretHash: hex(validatorSecret),
                                                    grantTypes: [], createdAt: Date()))
        try await context.store.insert(ClientRecord(issuerID: issuerID, clientID: "bench-app", name: "application",
                                                    authenticationMethod: .clientSecretBasic, secretHash: hex(appSecret),
                                                    grantTypes: ["client_credentials"], roles: ["\(audience)/Bench.Read.All"],
                                                    createdAt: Date()))
        try await context.store.upsert(ResourceRecord(issuerID: issuerID, audience: audience, scopes: [], roles: ["Bench.Read.All"],
                                                      serverClients: ["bench-validator"]))
        var logger = Logger(label: "keybound-issuance-bench")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [KeyboundApplication.make(context: context, logger: logger)],
                                                      gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        return IssuanceBenchProvider(appSecret: appSecret, validatorSecret: validatorSecret, directory: directory, context: context,
                                     group: group, server: server, client: client)
    }

    /// A fresh access token from the token endpoint (client_credentials, over HTTP).
    func token() async throws -> String {
        var request = HTTPClientRequest(url: issuerURL + "/token")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Basic " + Data("bench-app:\(appSecret)".utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&scope=api%3A%2F%2Fbench%2F.default"))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 * 1024)
        guard response.status == .ok, case .string(let token)? = try StrictJSONParser.parseObject(Array(buffer: body))["access_token"] else {
            throw BenchError("the token endpoint answered \(response.status.code)")
        }
        return token
    }

    func stop() async {
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        _ = await server.result
        try? FileManager.default.removeItem(at: directory)
    }

    static func hex(_ text: String) -> String { SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined() }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
